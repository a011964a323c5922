#!/bin/sh
# Regenerate the GB 18030 font set from Debian packages (bookworm):
#   fonts-noto-cjk 1:20220127+repack1-1 (OFL-1.1)  and  fonts-hanazono 20170904-2.1 (OFL-1.1 / Hanazono)
# Needs: apt-get, dpkg-deb, python3 with fonttools 4.x (pip install 'fonttools==4.68.0').
# Usage: sh fonts/make_subsets.sh [OUTDIR]    (default: a folder `out/` beside this script;
# copy the six files over the ones in fonts/ and check `git diff --stat` shows no change)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/out}
SRC=${SRC:-$HERE/src}
mkdir -p "$OUT" "$SRC"
if [ ! -f "$SRC/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc" ] || [ ! -f "$SRC/usr/share/fonts/truetype/hanazono/HanaMinB.ttf" ]; then
  ( cd "$SRC" && apt-get download fonts-noto-cjk=1:20220127+repack1-1 fonts-hanazono=20170904-2.1 \
      && for d in ./*.deb; do dpkg-deb -x "$d" .; done )
fi
NOTO=$SRC/usr/share/fonts/opentype/noto
HANA=$SRC/usr/share/fonts/truetype/hanazono
COMMON="--layout-features=* --name-IDs=* --name-languages=* --notdef-outline --no-hinting"

sub() { # src face-index charset out
  pyftsubset "$1" --font-number="$2" --unicodes-file="$HERE/charsets/$3" $COMMON --output-file="$OUT/$4"
}
# Face 2 of each Noto CJK .ttc is the SC face ("Noto Sans CJK SC", "Noto Serif CJK SC").
sub "$NOTO/NotoSansCJK-Regular.ttc"  2 noto-cjk-sc.txt NotoSansCJKsc-Regular.otf &
sub "$NOTO/NotoSansCJK-Bold.ttc"     2 noto-cjk-sc.txt NotoSansCJKsc-Bold.otf
wait
sub "$NOTO/NotoSerifCJK-Regular.ttc" 2 noto-cjk-sc.txt NotoSerifCJKsc-Regular.otf &
sub "$NOTO/NotoSerifCJK-Bold.ttc"    2 noto-cjk-sc.txt NotoSerifCJKsc-Bold.otf
wait
sub "$HANA/HanaMinA.ttf" 0 hanamin-a.txt HanaMinA-GB18030.ttf &
sub "$HANA/HanaMinB.ttf" 0 hanamin-b.txt HanaMinB-GB18030.ttf
wait
ls -l "$OUT"
