#!/usr/bin/env bats
# The printed book: make pdf (docs/book.py pdf) prints every chapter of
# chapters/ORDER into one PDF through headless Chromium. These tests read the
# PDF back with poppler's tools: pdftotext (the words, page by page, and each
# word's box), pdfinfo (the page size) and pdftoppm (a page as pixels).
#
# The PDF is built once, in setup_file, from a copy of the repository's files
# (as a clone has them), with one throwaway picture added to step 01's
# chapter in the copy, so that pictures are tested before the real diagrams
# exist.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
    local tool
    for tool in pandoc pdftotext pdftoppm pdfinfo; do
        command -v "$tool" >/dev/null || return 0 # each test skips, saying why
    done
    command -v chromium >/dev/null || return 0
    export PDF_COPY=$BATS_FILE_TMPDIR/repo
    mkdir -p "$PDF_COPY"
    (cd "$REPO_ROOT" && git ls-files -z --cached --others --exclude-standard |
        xargs -0 tar -cf -) | tar -C "$PDF_COPY" -xf -
    mkdir -p "$PDF_COPY/docs/diagrams"
    cat >"$PDF_COPY/docs/diagrams/pdf-test-picture.svg" <<'EOF'
<svg xmlns="http://www.w3.org/2000/svg" width="300" height="60" viewBox="0 0 300 60">
  <rect x="1" y="1" width="298" height="58" fill="none" stroke="black"/>
  <text x="20" y="36" font-family="sans-serif" font-size="16">pdftestpicture drawn</text>
</svg>
EOF
    printf '\n![A throwaway picture for tests/pdf.bats](../../docs/diagrams/pdf-test-picture.svg)\n' \
        >>"$PDF_COPY/steps/01-blocking-server/README.md"

    # The diffs the chapters show, in book order: which are long enough to go
    # to the appendix is the book's threshold (60 lines). Should none be that
    # long one day, a lower threshold keeps the appendix tested.
    export DIFFS=$BATS_FILE_TMPDIR/diffs
    list_diffs >"$DIFFS"
    export LONG_DIFF_LINES=60
    local lowered=()
    if ! awk -F'\t' -v limit="$LONG_DIFF_LINES" '$3 > limit { found = 1 } END { exit !found }' "$DIFFS"; then
        LONG_DIFF_LINES=$(awk -F'\t' '$3 > max { max = $3 } END { print max - 1 }' "$DIFFS")
        lowered=("BOOK_LONG_DIFF_LINES=$LONG_DIFF_LINES")
    fi

    export PDF=$BATS_FILE_TMPDIR/book.pdf
    # BOOK_KEEP_HTML: the one page that Chromium printed, kept for the link check.
    env "${lowered[@]}" BOOK_KEEP_HTML="$BATS_FILE_TMPDIR/page" "$PYTHON" "$PDF_COPY/docs/book.py" pdf "$PDF" \
        >"$BATS_FILE_TMPDIR/pdf.out" 2>"$BATS_FILE_TMPDIR/pdf.err" ||
        echo "book.py pdf failed" >>"$BATS_FILE_TMPDIR/pdf.err"
    [[ -s $PDF ]] || return 0

    # Each page's text (pdftotext ends each page with a form feed), and each word's box.
    export PAGES=$BATS_FILE_TMPDIR/pages BBOX=$BATS_FILE_TMPDIR/bbox.html
    mkdir -p "$PAGES"
    pdftotext "$PDF" "$BATS_FILE_TMPDIR/book.txt"
    local count
    count=$(pdfinfo "$PDF" | sed -nE 's/^Pages: +([0-9]+)$/\1/p')
    awk -v dir="$PAGES" -v count="$count" 'BEGIN { RS = "\f" } NR <= count { printf "%s", $0 > (dir "/" NR ".txt") }' \
        "$BATS_FILE_TMPDIR/book.txt"
    pdftotext -bbox "$PDF" "$BBOX"
    # Where each chapter starts: "PAGE<TAB>TITLE" for every page whose first
    # line (or first two: a long title wraps) is a chapter's title.
    export STARTS=$BATS_FILE_TMPDIR/starts
    chapter_starts >"$STARTS"
}

needs_tools() {
    local tool
    for tool in pandoc pdftotext pdftoppm pdfinfo; do
        command -v "$tool" >/dev/null || skip "$tool is not installed (tests/ensure-deps installs it)"
    done
    command -v chromium >/dev/null || skip "chromium is not installed (tests/ensure-deps installs it)"
    run cat "$BATS_FILE_TMPDIR/pdf.err"
    assert_output ""
}

setup() { needs_tools; }

# The chapters' titles, in the book's order, as printed (no backticks).
titles() {
    local chapter
    sed -e '/^#/d' -e '/^$/d' "$PDF_COPY/chapters/ORDER" | while read -r chapter; do
        sed -n 's/^# //p' "$PDF_COPY/$chapter" | head -n 1 | tr -d '`'
    done
}

# list_diffs: "CHAPTER TITLE<TAB>SECTION<TAB>LINES<TAB>FIRST LINE" for every
# <!-- diff --> a chapter shows, in book order; SECTION is the last heading
# above it, FIRST LINE the diff's first line (a hunk's "@@ ... @@").
list_diffs() {
    "$PYTHON" - "$PDF_COPY/docs" <<'EOF'
import os, re, sys
sys.path.insert(0, sys.argv[1])
import book
for chapter in book.chapters():
    if not os.path.exists(chapter):
        continue
    with open(chapter, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for kind, argument, first, last, _ in book.directives(chapter):
        if kind != "diff":
            continue
        text = book.expected_text(chapter, kind, argument).split("\n")
        section = ""
        for line in lines[:first]:
            if re.match(r"#{2,6} ", line):
                section = re.sub(r"[`*]", "", line.lstrip("#").strip())
        title = book.title_of(chapter).replace("`", "")
        print(f"{title}\t{section}\t{len(text)}\t{text[0]}")
EOF
}

chapter_starts() {
    "$PYTHON" - "$PAGES" <(titles) "$(page_count)" <<'EOF'
import sys
pages_dir, titles_file, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
titles = [line.rstrip("\n") for line in open(titles_file, encoding="utf-8")] + ["Appendix: long diffs"]
for number in range(1, count + 1):
    lines = [l.strip() for l in open(f"{pages_dir}/{number}.txt", encoding="utf-8") if l.strip()]
    for title in titles:
        if lines and (lines[0] == title or " ".join(lines[:2]).startswith(title)):
            print(f"{number}\t{title}")
EOF
}

page_of() { awk -F'\t' -v title="$1" '$2 == title { print $1; exit }' "$STARTS"; }
page_count() { find "$PAGES" -name '*.txt' | wc -l; }
# squeeze: the text without white space, so that a wrapped line reads on, and
# without hyphens, which pdftotext drops where a word is split at a line's end.
squeeze() { tr -d -- ' \t\n\f-'; }
# pages FIRST LAST: those pages' text.
pages() { local n; for ((n = $1; n <= $2; n++)); do cat "$PAGES/$n.txt"; done; }

@test "pdf: make pdf writes one PDF, with the contents and every chapter's title" {
    run head -c 5 "$PDF"
    assert_output "%PDF-"
    run pdfinfo "$PDF"
    assert_line --regexp '^Pages: +[0-9]+$'
    # Page 1: the title, "Contents", and every chapter's title in the book's order.
    local title previous=0 line
    grep -qx 'Contents' "$PAGES/1.txt" || fail "page 1 has no 'Contents'"
    while IFS= read -r title; do
        line=$(grep -nxF -- "$title" "$PAGES/1.txt" | head -n 1 | cut -d: -f1)
        [[ -n $line ]] || fail "the table of contents lacks '$title'"
        ((line > previous)) || fail "the table of contents has '$title' out of order"
        previous=$line
        grep -qF -- "$title" "$BATS_FILE_TMPDIR/book.txt" || fail "the PDF lacks the chapter '$title'"
    done < <(titles)
    [[ $(titles | wc -l) -ge 8 ]] || fail "chapters/ORDER names fewer chapters than the book has"
}

@test "pdf: every chapter starts at the top of a new page" {
    local title page previous=1
    while IFS= read -r title; do
        page=$(page_of "$title")
        [[ -n $page ]] || fail "no page starts with the title '$title'"
        ((page > previous)) || fail "'$title' starts on page $page, not after the previous chapter's page $previous"
        previous=$page
    done < <(titles)
}

@test "pdf: every link within the one-page book lands on an anchor" {
    # Chapters link to each other's sections: in one page, every id has its chapter's prefix.
    run "$PYTHON" "$PDF_COPY/docs/book.py" links "$BATS_FILE_TMPDIR/page"
    assert_success
    assert_output --regexp '^checked [0-9]+ links in 1 pages$'
    local links=${output#checked }
    ((${links%% *} >= 100)) || fail "only ${links%% *} links: the contents alone have $(titles | wc -l)"
    # A link to a section of step 01, as the filter rewrites it.
    grep -q 'href="#01-blocking-server--' "$BATS_FILE_TMPDIR/page/book.html"
}

@test "pdf: no word runs into the right margin or off the page" {
    # The page has a 16 mm (45 pt) right margin (docs/print.css); a word that
    # ends more than 3 pt into it ran past the text's edge.
    run "$PYTHON" - "$BBOX" <<'EOF'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
pages = re.findall(r'<page width="([\d.]+)" height="[\d.]+">(.*?)</page>', text, re.S)
words = 0
for number, (width, body) in enumerate(pages, 1):
    limit = float(width) - 42
    for x_min, x_max, word in re.findall(r'<word xMin="([\d.-]+)" yMin="[\d.-]+" xMax="([\d.-]+)" yMax="[\d.-]+">(.*?)</word>', body):
        words += 1
        if float(x_max) > limit or float(x_min) < 0:
            print(f"page {number}: '{word}' spans x {x_min}-{x_max} pt, past {limit:.1f} pt of {width}")
print(f"{len(pages)} pages, {words} words")
EOF
    assert_success
    assert_output --regexp '^[0-9]+ pages, [0-9]+ words$'
    local pages=${output%% pages*}
    assert_equal "$pages" "$(page_count)"
}

@test "pdf: the book is printed at its size, not shrunk to fit a page" {
    # Chromium shrinks every page when something is wider than the paper:
    # nothing then runs off the edge, but everything is small. Body text is
    # 10 pt (docs/print.css), and pdftotext's box for a 10 pt word is 11.6 pt high.
    run "$PYTHON" - "$BBOX" <<'EOF'
import re, statistics, sys
text = open(sys.argv[1], encoding="utf-8").read()
heights = [float(b) - float(a) for a, b in re.findall(r'yMin="([\d.-]+)" xMax="[\d.-]+" yMax="([\d.-]+)"', text)]
print(f"{statistics.median(heights):.1f}")
EOF
    assert_success
    [[ ${output%.*} -ge 11 ]] || fail "the words' median height is $output pt, less than a 10 pt font's 11.6: the print was shrunk"
}

@test "pdf: the longest code lines are printed whole" {
    # A code line cut at the edge of its box would lose its end, not show in the margin.
    local line
    "$PYTHON" - "$PDF_COPY" >"$BATS_TEST_TMPDIR/longest" <<'EOF'
import os, sys
lines = []
for name in (l.strip() for l in open(os.path.join(sys.argv[1], "chapters/ORDER")) if l.strip() and not l.startswith("#")):
    path = os.path.join(sys.argv[1], name)
    if not os.path.exists(path):
        continue
    inside = False
    for line in open(path, encoding="utf-8"):
        if line.startswith("```"):
            inside = not inside
        elif inside:
            lines.append(line.rstrip("\n"))
for line in sorted(set(lines), key=len, reverse=True)[:5]:
    print(line)
EOF
    [[ $(wc -c <"$BATS_TEST_TMPDIR/longest") -gt 400 ]] || fail "no long code lines found in the chapters"
    local book
    book=$(squeeze <"$BATS_FILE_TMPDIR/book.txt")
    while IFS= read -r line; do
        line=$(squeeze <<<"$line")
        [[ $book == *"$line"* ]] || fail "the PDF lacks the whole code line: $line"
    done <"$BATS_TEST_TMPDIR/longest"
}

@test "pdf: a code-heavy page renders at the page's width, with a blank right margin" {
    # The page with the most code-like lines (ending in ; { or }, or a diff's + and - lines).
    local page
    page=$(for file in "$PAGES"/*.txt; do
        printf '%s %s\n' "$(grep -cE '[;{}]$|^[+-]' "$file")" "$(basename "$file" .txt)"
    done | sort -n | tail -n 1 | cut -d' ' -f2)
    local width_pt
    width_pt=$(pdfinfo -f "$page" -l "$page" "$PDF" | sed -nE 's/^Page +[0-9]+ size: +([0-9.]+) x .*/\1/p')
    pdftoppm -r 50 -png -f "$page" -l "$page" -singlefile "$PDF" "$BATS_TEST_TMPDIR/page"
    run "$PYTHON" "$TESTS_DIR/png_stats.py" "$BATS_TEST_TMPDIR/page.png"
    assert_output --regexp '^[0-9]+x[0-9]+ [0-9.]+% drawn$'
    local width=${output%%x*} height=${output#*x} drawn=${output#* }
    height=${height%% *}
    # The page's width in points at 50 dpi (pdftoppm rounds up).
    awk -v px="$width" -v pt="$width_pt" 'BEGIN { d = px - pt * 50 / 72; exit !(d > -1 && d < 1) }' ||
        fail "page $page is $width px wide at 50 dpi; the page is $width_pt pt, $(awk -v pt="$width_pt" 'BEGIN { print pt * 50 / 72 }') px"
    ((${drawn%%.*} >= 3)) || fail "page $page is almost blank: $output"
    # The rightmost 12 mm (24 px at 50 dpi) of the 16 mm margin: nothing drawn.
    pdftoppm -r 50 -png -f "$page" -l "$page" -singlefile -x $((width - 24)) -y 0 -W 24 -H "$height" \
        "$PDF" "$BATS_TEST_TMPDIR/margin"
    run "$PYTHON" "$TESTS_DIR/png_stats.py" "$BATS_TEST_TMPDIR/margin.png"
    assert_output "24x$height 0.0% drawn"
}

@test "pdf: a diff longer than 60 lines is in the appendix, with a pointer in its chapter" {
    local appendix
    appendix=$(page_of "Appendix: long diffs")
    [[ -n $appendix ]] || fail "no page starts with 'Appendix: long diffs'"
    local in_appendix
    in_appendix=$(pages "$appendix" "$(page_count)" | squeeze)
    local number=0 title section lines first start end next in_chapter heading
    while IFS=$'\t' read -r title section lines first; do
        start=$(page_of "$title")
        # The chapter ends where the next one starts.
        next=$(awk -F'\t' -v p="$start" '$1 > p { print $1; exit }' "$STARTS")
        end=$((${next:-$(($(page_count) + 1))} - 1))
        in_chapter=$(pages "$start" "$end" | squeeze)
        first=$(squeeze <<<"$first")
        if ((lines > LONG_DIFF_LINES)); then
            number=$((number + 1))
            [[ $in_chapter == *"Thediff(${lines}lines)isinAppendixA.$number."* ]] ||
                fail "'$title' (pages $start-$end) has no pointer to Appendix A.$number"
            [[ $in_chapter != *"$first"* ]] || fail "the long diff '$first' is still in '$title'"
            # Its heading there: "A.N TITLE — SECTION" (or "... — SECTION › SUBSECTION").
            heading=${in_appendix#*"A.$number$(squeeze <<<"$title")—"}
            [[ $heading != "$in_appendix" ]] || fail "the appendix has no heading 'A.$number $title — ...'"
            heading=${heading%%"${lines}lines,from"*}
            [[ $heading == *"$(squeeze <<<"$section")" ]] ||
                fail "the appendix's heading A.$number does not end with the section '$section': $heading"
            [[ $in_appendix == *"$first"* ]] || fail "the appendix lacks the diff '$first' ($lines lines)"
        else
            [[ $in_chapter == *"$first"* ]] || fail "the short diff '$first' ($lines lines) is not in '$title'"
            [[ $in_appendix != *"$first"* ]] || fail "the short diff '$first' ($lines lines) went to the appendix"
        fi
    done <"$DIFFS"
    ((number > 0)) || fail "no diff was longer than $LONG_DIFF_LINES lines"
    ((number < $(wc -l <"$DIFFS"))) || fail "every diff was moved: nothing tells a short one from a long one"
}

@test "pdf: a chapter's picture is printed, in its chapter" {
    local start end
    start=$(page_of "Step 01: A blocking server")
    end=$(($(page_of "Step 02: One thread per client") - 1))
    pages "$start" "$end" | squeeze | grep -q 'pdftestpicturedrawn' ||
        fail "the picture's text is not on step 01's pages ($start-$end)"
}
