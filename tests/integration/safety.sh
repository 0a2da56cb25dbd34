# safety.sh - sourced by run.sh and scan.sh: the terminal-safety check of everything
# mailtls prints. Defines unsafe_lines FILE, unsafe FILE and show_unsafe FILE.
#
# unsafe FILE - true when FILE holds a byte sequence that must never reach a terminal, as
# lib/escape.c decides (escape_text(): utf8_decode() and hidden()): a control byte other
# than newline (ESC, NUL, BEL, CR, TAB, DEL), invalid UTF-8 as RFC 3629 defines it (a stray
# continuation byte, a truncated sequence, an overlong form, a surrogate U+D800..U+DFFF, a
# code point above U+10FFFF), a C1 control (U+0080..U+009F), or a character that controls
# or hides how text is shown: U+061C, U+200B..U+200F, U+2028..U+202E, U+2060..U+206F,
# U+FEFF, U+FFF9..U+FFFB. Byte patterns in the C locale: no iconv, whose notion of UTF-8
# differs between versions.
# UTF8_OK: one whole line of printable ASCII and well-formed UTF-8, nothing else.
UTF8_OK='(?:[\x20-\x7e]|[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2})*+'
# HIDDEN: escape.c's hidden() code points, as UTF-8.
HIDDEN='\xc2[\x80-\x9f]|\xd8\x9c|\xe2\x80[\x8b-\x8f\xa8-\xae]|\xe2\x81[\xa0-\xaf]|\xef\xbb\xbf|\xef\xbf[\xb9-\xbb]'
unsafe_lines() {
	# grep exits 2 when it cannot scan (a PCRE limit): line 0, unsafe.
	{
		LC_ALL=C grep -navxP "$UTF8_OK" "$1"; [ $? -le 1 ] || echo 0:
		LC_ALL=C grep -naP "$HIDDEN" "$1"; [ $? -le 1 ] || echo 0:
	} 2>/dev/null | LC_ALL=C sed 's/:.*//' | sort -nu
}
unsafe() {
	[ -n "$(unsafe_lines "$1")" ]
}

# show_unsafe FILE - the first offending lines (at most 3, 160 bytes each) as od -c shows
# them: raw bytes, whatever their encoding.
show_unsafe() {
	local n
	for n in $(unsafe_lines "$1" | head -n 3); do
		[ "$n" = 0 ] && { printf '\n    grep could not scan the file'; continue; }
		printf '\n    line %s:\n' "$n"
		LC_ALL=C sed -n "${n}p" "$1" | head -c 160 | od -An -c | sed 's/^/    /'
	done
}
