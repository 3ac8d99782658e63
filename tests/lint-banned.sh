#!/bin/sh
#
# TAP: src/*.c must not call the string and number functions STYLE.md
# bans (curl keeps a similar list in scripts/checksrc.pl).  snprintf,
# vsnprintf, strtonum, strlcpy and fgets stay allowed: the pattern needs
# a non-identifier character before the banned name.

top_srcdir=${top_srcdir:-.}
banned='strcpy|strcat|sprintf|vsprintf|atoi|atol|atoll|gets'
pattern="(^|[^A-Za-z0-9_])($banned)[[:space:]]*\("

hits=
for f in "$top_srcdir"/src/*.c; do
	[ -f "$f" ] || continue
	h=$(grep -nE "$pattern" "$f" | sed "s|^|${f#"$top_srcdir"/}:|")
	[ -n "$h" ] && hits="$hits$h
"
done

if [ -z "$hits" ]; then
	echo "ok 1 - no banned calls"
else
	echo "not ok 1 - no banned calls"
	printf '%s' "$hits" | sed 's/^/# /'
fi
echo "1..1"
[ -z "$hits" ]
