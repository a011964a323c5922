#!/usr/bin/env python3
"""Make the fonts that travel with the project: Noto Serif/Sans CJK SC, Regular and Bold,
subset to the characters a CHIMA report needs.

Source: Debian's fonts-noto-cjk (1:20220127, OFL-1.1), face index 2 (SC) of each .ttc.
Character set: ASCII and Latin-1, general and CJK punctuation, full-width forms, box drawing
(┋), arrows and math symbols (≤ ≥ ×), and all of GB2312 (6,763 hanzi and its symbols), plus
any character found in the given extra files. The build checks that every character of each
report is covered, so a survey needing more characters fails loudly and this script is rerun
with its files as extra input.

    apt-get install fonts-noto-cjk && pip install fonttools==4.* && python3 fonts/subset.py [extra files...]
"""
import pathlib
import sys

from fontTools import subset
from fontTools.ttLib import TTCollection

SRC = pathlib.Path("/usr/share/fonts/opentype/noto")
OUT = pathlib.Path(__file__).parent
FACES = {
    "NotoSerifCJKsc-Regular.otf": "NotoSerifCJK-Regular.ttc",
    "NotoSerifCJKsc-Bold.otf": "NotoSerifCJK-Bold.ttc",
    "NotoSansCJKsc-Regular.otf": "NotoSansCJK-Regular.ttc",
    "NotoSansCJKsc-Bold.otf": "NotoSansCJK-Bold.ttc",
}
SC_INDEX = 2


def charset(extra_files):
    cps = set(range(0x20, 0x7F)) | set(range(0xA0, 0x180))
    for lo, hi in [(0x2000, 0x206F), (0x2100, 0x21FF), (0x2200, 0x22FF), (0x2460, 0x24FF),
                   (0x2500, 0x257F), (0x25A0, 0x25FF), (0x3000, 0x303F), (0xFF00, 0xFFEF)]:
        cps |= set(range(lo, hi + 1))
    for b1 in range(0xA1, 0xF8):
        for b2 in range(0xA1, 0xFF):
            try:
                cps.add(ord(bytes([b1, b2]).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    for f in extra_files:
        cps |= {ord(c) for c in pathlib.Path(f).read_text(encoding="utf-8")}
    return sorted(cps)


def main():
    cps = charset(sys.argv[1:])
    for out, src in FACES.items():
        font = TTCollection(str(SRC / src)).fonts[SC_INDEX]
        opts = subset.Options()
        opts.layout_features = ["*"]
        opts.name_IDs = ["*"]
        opts.name_languages = ["*"]
        opts.notdef_outline = True
        opts.hinting = False
        opts.desubroutinize = False
        s = subset.Subsetter(opts)
        s.populate(unicodes=cps)
        s.subset(font)
        # Fixed timestamps so the files are the same on every run.
        font["head"].created = font["head"].modified = 0
        font.save(str(OUT / out), reorderTables=True)
        print(out, (OUT / out).stat().st_size)


if __name__ == "__main__":
    main()
