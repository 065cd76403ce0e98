#!/usr/bin/env bats
# The book's pictures: every SVG in docs/diagrams/ is what its text source
# draws (never edited by hand, never stale), fits a page, and is shown by a
# chapter. Changes are made on a copy, never in the repository.

bats_require_minimum_version 1.5.0
load helpers

DIAGRAMS_DIR=$REPO_ROOT/docs/diagrams

# copy_diagrams: a copy of docs/diagrams.py and docs/diagrams/ in
# $BATS_TEST_TMPDIR/docs, to break on purpose.
copy_diagrams() {
    COPY=$BATS_TEST_TMPDIR/docs
    mkdir -p "$COPY"
    cp "$REPO_ROOT/docs/diagrams.py" "$COPY/"
    cp -R "$DIAGRAMS_DIR" "$COPY/diagrams"
}

diagrams_copy() { "$PYTHON" "$COPY/diagrams.py" "$@"; }

@test "diagrams: there are sources, and check passes on the repository" {
    compgen -G "$DIAGRAMS_DIR/*.msc" >/dev/null
    compgen -G "$DIAGRAMS_DIR/*.dot" >/dev/null
    run -0 "$PYTHON" "$REPO_ROOT/docs/diagrams.py" check
    refute_output
}

@test "diagrams: check fails, naming the SVG, when one is edited by hand" {
    copy_diagrams
    run -0 diagrams_copy check
    sed -i 's/SYN_SENT/SYN-SENT/' "$COPY/diagrams/handshake.svg"
    run -1 diagrams_copy check
    assert_output --partial "handshake.svg differs"
    refute_output --partial "close-reset.svg"
}

@test "diagrams: check fails, naming the SVG, when a source changes without regenerating" {
    copy_diagrams
    sed -i 's/RST/FIN/' "$COPY/diagrams/close-reset.msc"
    sed -i 's/waits on/sleeps on/' "$COPY/diagrams/threads-vs-poll.dot"
    run -1 diagrams_copy check
    assert_output --partial "close-reset.svg differs"
    assert_output --partial "threads-vs-poll.svg differs"
    refute_output --partial "handshake.svg"
    # Regenerating rewrites exactly those two, and check passes again.
    run -0 diagrams_copy
    assert_output --partial "close-reset.svg"
    assert_output --partial "threads-vs-poll.svg"
    refute_output --partial "handshake.svg"
    run -0 diagrams_copy check
}

@test "diagrams: check fails on a missing SVG and on an SVG without a source" {
    copy_diagrams
    rm "$COPY/diagrams/close-server-first.svg"
    cp "$COPY/diagrams/handshake.svg" "$COPY/diagrams/drawn-by-hand.svg"
    run -1 diagrams_copy check
    assert_output --partial "close-server-first.svg is missing"
    assert_output --partial "drawn-by-hand.svg has no source"
}

@test "diagrams: two runs write the same bytes (nothing varies between runs)" {
    copy_diagrams
    rm "$COPY"/diagrams/*.svg
    run -0 diagrams_copy
    cp -R "$COPY/diagrams" "$BATS_TEST_TMPDIR/first"
    rm "$COPY"/diagrams/*.svg
    run -0 diagrams_copy
    run -0 diff -r "$BATS_TEST_TMPDIR/first" "$COPY/diagrams"
    # and they are the committed ones
    run -0 diff -r "$DIAGRAMS_DIR" "$COPY/diagrams"
}

@test "diagrams: a usage error exits 2; a missing tool names its Debian package" {
    run -2 "$PYTHON" "$REPO_ROOT/docs/diagrams.py" chekc
    assert_output --partial "usage: python3 docs/diagrams.py [check]"
    copy_diagrams
    # A PATH with python3 and nothing else: no mscgen, no dot.
    mkdir "$BATS_TEST_TMPDIR/bin"
    ln -s "$PYTHON" "$BATS_TEST_TMPDIR/bin/python3"
    PATH=$BATS_TEST_TMPDIR/bin run -1 "$PYTHON" "$COPY/diagrams.py" check
    assert_output --partial "mscgen not found: install the Debian package mscgen"
    rm "$COPY"/diagrams/*.msc
    PATH=$BATS_TEST_TMPDIR/bin run -1 "$PYTHON" "$COPY/diagrams.py" check
    assert_output --partial "dot not found: install the Debian package graphviz"
}

@test "diagrams: every SVG is well-formed XML, at most 700 px wide" {
    run -0 "$PYTHON" - "$DIAGRAMS_DIR" <<'EOF'
import glob, os, re, sys
import xml.etree.ElementTree as ET
PX = {"px": 1.0, "": 1.0, "pt": 4 / 3}  # CSS: 1pt = 4/3 px
bad = []
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.svg"))):
    name = os.path.basename(path)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as error:
        bad.append(f"{name}: not well-formed XML: {error}")
        continue
    if root.tag != "{http://www.w3.org/2000/svg}svg":
        bad.append(f"{name}: the root element is {root.tag}, not svg")
        continue
    match = re.fullmatch(r"([0-9.]+)(px|pt|)", root.get("width", ""))
    if not match:
        bad.append(f"{name}: no width in px or pt: {root.get('width')!r}")
        continue
    width = float(match.group(1)) * PX[match.group(2)]
    print(f"{name}: {width:.0f} px wide")
    if width > 700:
        bad.append(f"{name}: {width:.0f} px wide, more than 700")
for line in bad:
    print(line)
sys.exit(1 if bad else 0)
EOF
    refute_output --partial "more than"
}

@test "diagrams: every diagram is shown by a chapter in chapters/ORDER, by a path that resolves" {
    local svg name chapter found missing=()
    local chapters=()
    while read -r chapter; do
        [[ -z $chapter || $chapter == \#* ]] || chapters+=("$chapter")
    done <"$REPO_ROOT/chapters/ORDER"
    for svg in "$DIAGRAMS_DIR"/*.svg; do
        name=$(basename "$svg")
        found=
        for chapter in "${chapters[@]}"; do
            [[ -f $REPO_ROOT/$chapter ]] || continue
            # a markdown image: ![alt](relative/path/NAME.svg), resolving to this file
            while read -r target; do
                if [[ $(realpath -m "$(dirname "$REPO_ROOT/$chapter")/$target") == "$svg" ]]; then
                    found=$chapter
                fi
            done < <(grep -oE '!\[[^]]+\]\([^)]*'"$name"'\)' "$REPO_ROOT/$chapter" |
                sed -E 's/.*\]\(([^)]*)\)$/\1/')
        done
        [[ -n $found ]] || missing+=("$name")
    done
    if ((${#missing[@]})); then
        echo "no chapter in chapters/ORDER shows: ${missing[*]}" >&2
        echo "(as an image with alt text, e.g. ![What it shows](../../docs/diagrams/${missing[0]}))" >&2
        return 1
    fi
}
