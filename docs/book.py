#!/usr/bin/env python3
"""The book's one tool: code regions, drift checks, transcripts, HTML notes.

  book.py region FILE NAME   print the region NAME of a source file
  book.py diff OLD NEW       print the unified diff of two source files
  book.py check              fail if a chapter's code copy has drifted from its
                             source, names a missing region, a marker is unused,
                             a console block has no transcript the tests run,
                             a test it cites (`01 limit: ...`) does not exist,
                             or an image it shows is missing; and report what
                             docs/apparatus.py finds
  book.py refresh            rewrite every chapter's code copies from the sources
  book.py transcript ID      print the console block with that transcript id
  book.py compare ID FILE [PORT]
                             compare a replayed session (FILE) with transcript ID;
                             PORT is the port the test's server really had
  book.py html OUTDIR        build the HTML notes with pandoc (one page a chapter)
  book.py pdf OUT.pdf        the whole book as one PDF: one HTML page printed by
                             headless Chromium; diffs over 60 lines (or
                             $BOOK_LONG_DIFF_LINES) go to an appendix;
                             BOOK_KEEP_HTML=DIR keeps that page in DIR
  book.py links OUTDIR       check every internal link and #anchor in OUTDIR

Run it from anywhere; paths are taken relative to the repository.

In a C source, a region is the lines between "// [name]" and "// [/name]".
In a chapter, a directive is an HTML comment on its own line, followed by a
fenced block that GitHub shows and the HTML build replaces:
  <!-- include server.c [accept-loop] -->   a region (path from the chapter)
  <!-- diff ../01-x/server.c server.c -->   the diff of two sources
  <!-- diff ../01-x/server.c server.c @2 --> only its hunk 2 (or @2-3): a chapter
                                            that shows a diff in pieces must show
                                            every hunk, once, in order
  <!-- transcript 01-first-run -->          a console session the tests replay
and one that governs markdown rather than a fenced block:
  <!-- file ../bench/results.md -->  ...  <!-- end file -->
                                            a whole file's text, e.g. measured results

Images are ordinary markdown images, paths from the chapter
(![The handshake](../../docs/diagrams/handshake.svg)): check fails on one
whose file is missing; the HTML notes and the PDF copy them to images/.
check also reports what docs/apparatus.py's problems(repo) finds, when that
file exists (the chapters' "You will learn", self-checks...).
"""
import difflib
import html.parser
import importlib.util
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORDER_FILE = os.path.join(REPO, "chapters", "ORDER")
SOURCE_DIRS = ["steps"]
MARKER = re.compile(r"^\s*// \[(/?)([a-z0-9-]+)\]\s*$")
DIRECTIVE = re.compile(r"^<!-- (include|diff|transcript|file) (.+?) -->$")
END_FILE = "<!-- end file -->"
FENCE = re.compile(r"^```")


class BookError(Exception):
    pass


# --- sources and regions ---------------------------------------------------

def read_regions(path):
    """Returns {name: text} for every region of a source file."""
    regions, open_regions = {}, {}
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for number, line in enumerate(lines, 1):
        match = MARKER.match(line)
        if not match:
            for name in open_regions:
                regions[name].append(line)
            continue
        closing, name = match.groups()
        if not closing:
            if name in regions:
                raise BookError(f"{path}:{number}: region [{name}] opened twice")
            regions[name], open_regions[name] = [], number
        elif name not in open_regions:
            raise BookError(f"{path}:{number}: [/{name}] closes no open region")
        else:
            del open_regions[name]
    for name, number in open_regions.items():
        raise BookError(f"{path}:{number}: region [{name}] is never closed")
    return {name: "\n".join(text) for name, text in regions.items()}


def region(path, name):
    regions = read_regions(path)
    if name not in regions:
        raise BookError(f"{relative(path)} has no region [{name}]")
    return regions[name]


def code_lines(path):
    """A source's lines without region markers: the program as a reader sees it."""
    with open(path, encoding="utf-8") as f:
        return [line for line in f.read().splitlines() if not MARKER.match(line)]


def diff_hunks(old, new):
    """The unified diff of two sources (region markers left out): its two
    header lines, and its hunks, each a list of lines."""
    a, b = code_lines(old), code_lines(new)
    # autojunk=False: difflib would otherwise ignore lines as common as "}"
    # in files over 200 lines, and show unchanged closing braces as changed.
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    hunks = []
    for group in matcher.get_grouped_opcodes(3):
        (_, i1, _, j1, _), (_, _, i2, _, j2) = group[0], group[-1]
        hunk = [f"@@ -{hunk_range(i1, i2)} +{hunk_range(j1, j2)} @@"]
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                hunk += [" " + line for line in a[a1:a2]]
            else:
                hunk += ["-" + line for line in a[a1:a2]] + ["+" + line for line in b[b1:b2]]
        hunks.append(hunk)
    return [f"--- {relative(old)}", f"+++ {relative(new)}"], hunks


def hunk_range(start, stop):
    """A hunk header's "start,length" (as diff -u writes it)."""
    length = stop - start
    if length == 1:
        return f"{start + 1}"
    return f"{start + 1 if length else start},{length}"


def parse_hunks(selector, count):
    """"@2" -> [2]; "@2-3" -> [2, 3]; None -> every hunk."""
    if selector is None:
        return list(range(1, count + 1))
    match = re.fullmatch(r"@(\d+)(?:-(\d+))?", selector)
    if not match:
        raise BookError(f"bad hunk selector '{selector}' (want @N or @N-M)")
    first, last = int(match.group(1)), int(match.group(2) or match.group(1))
    if not 1 <= first <= last <= count:
        raise BookError(f"hunks {selector} asked for, but the diff has {count}")
    return list(range(first, last + 1))


def source_diff(old, new, selector=None):
    header, hunks = diff_hunks(old, new)
    wanted = parse_hunks(selector, len(hunks))
    lines = header if selector is None else []
    for number in wanted:
        lines = lines + hunks[number - 1]
    return "\n".join(lines)


def relative(path):
    return os.path.relpath(path, REPO)


def all_sources():
    for top in SOURCE_DIRS:
        for folder, _, files in sorted(os.walk(os.path.join(REPO, top))):
            for name in sorted(files):
                if name.endswith(".c"):
                    yield os.path.join(folder, name)


# --- chapters and their directives -----------------------------------------

def chapters():
    """The chapters' paths, in the book's order (chapters/ORDER)."""
    with open(ORDER_FILE, encoding="utf-8") as f:
        names = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    return [os.path.join(REPO, name) for name in names]


def directives(path):
    """Yields (kind, argument, first, last, language) for each directive of a
    chapter: the fenced block it governs is lines[first:last] (contents only)."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        match = DIRECTIVE.match(lines[i])
        if match and match.group(1) == "file":
            closing = i + 1
            while closing < len(lines) and lines[closing] != END_FILE:
                closing += 1
            if closing >= len(lines):
                raise BookError(f"{relative(path)}:{i + 1}: no '{END_FILE}' after this directive")
            yield "file", match.group(2), i + 1, closing, None
            i = closing
        elif match:
            opening = i + 1
            while opening < len(lines) and not lines[opening].strip():
                opening += 1
            if opening >= len(lines) or not FENCE.match(lines[opening]):
                raise BookError(f"{relative(path)}:{i + 1}: a directive must be followed by a fenced block")
            closing = opening + 1
            while closing < len(lines) and lines[closing] != "```":
                closing += 1
            if closing >= len(lines):
                raise BookError(f"{relative(path)}:{opening + 1}: fenced block never closed")
            yield match.group(1), match.group(2), opening + 1, closing, lines[opening][3:].strip()
            i = closing
        i += 1


def expected_text(chapter, kind, argument):
    """What the block governed by a directive must hold."""
    folder = os.path.dirname(chapter)
    if kind == "include":
        match = re.fullmatch(r"(\S+) \[([a-z0-9-]+)\]", argument)
        if not match:
            raise BookError(f"{relative(chapter)}: bad include '{argument}' (want: FILE [region])")
        return region(os.path.join(folder, match.group(1)), match.group(2))
    if kind == "diff":
        old, new, *selector = argument.split()
        return source_diff(os.path.join(folder, old), os.path.join(folder, new), *selector[:1])
    if kind == "file":
        with open(os.path.join(folder, argument), encoding="utf-8") as f:
            return f.read().rstrip("\n")
    return None  # transcripts are checked by the tests, which replay them


def console_blocks_without_transcript(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    governed = {first - 1 for _, _, first, _, _ in directives(path)}
    for number, line in enumerate(lines):
        if line.strip() == "```console" and number not in governed:
            yield number + 1


def transcript_ids_in_tests():
    ids = set()
    tests = os.path.join(REPO, "tests")
    for name in os.listdir(tests):
        if name.endswith((".bats", ".bash")):
            with open(os.path.join(tests, name), encoding="utf-8") as f:
                for match in re.findall(r"check_(?:transcript|session|overlapping_session|own_port_sessions)((?: [\w-]+)+)", f.read()):
                    ids.update(match.split())
    return ids


def check_hunks_shown(chapter, shown):
    """A diff shown in pieces must show every hunk once, in order."""
    problems = []
    for (old, new), selected in shown.items():
        if selected == [None]:
            continue
        _, hunks = diff_hunks(old, new)
        try:
            numbers = [n for selector in selected for n in parse_hunks(selector, len(hunks))]
        except BookError as error:
            numbers = []
            problems.append(f"{relative(chapter)}: {error}")
        if numbers != list(range(1, len(hunks) + 1)):
            problems.append(f"{relative(chapter)}: the diff {relative(old)} -> {relative(new)} has hunks "
                            f"1-{len(hunks)}; the chapter shows {numbers or 'none'} (each once, in order)")
    return problems


def test_names():
    """The name of every @test in the suite and the exercise checks."""
    names = set()
    for folder, _, files in os.walk(os.path.join(REPO, "tests")):
        for name in files:
            if name.endswith(".bats"):
                with open(os.path.join(folder, name), encoding="utf-8") as f:
                    names.update(re.findall(r'^@test "(.*?)" ', f.read(), re.M))
    return names


def cited_tests_missing(chapter, names):
    """Test names a chapter quotes (`01 limit: ...`, `04: ...`, `book: ...`)
    that no test has: a renamed test must not leave the chapter behind."""
    with open(chapter, encoding="utf-8") as f:
        text = re.sub(r"^```.*?^```", "", f.read(), flags=re.M | re.S)  # fenced blocks out
    for span in re.findall(r"`([^`]+)`", text):
        span = re.sub(r"\s+", " ", span).strip()
        if re.match(r"(\d\d|book)( limit)?: \S", span) and not span.endswith("..."):
            if not any(name.startswith(span) for name in names):
                yield span


IMAGE = re.compile(r"!\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)|<img\b[^>]*\bsrc=[\"']([^\"']+)")


def missing_images(chapter):
    """Images a chapter shows (markdown or <img>, outside code) whose file does
    not exist, paths from the chapter, as GitHub and the HTML build read them."""
    with open(chapter, encoding="utf-8") as f:
        text = re.sub(r"^```.*?^```", "", f.read(), flags=re.M | re.S)  # fenced blocks out
    text = re.sub(r"`[^`\n]*`", "", text)  # and code spans
    for match in IMAGE.finditer(text):
        source = match.group(1) or match.group(2)
        if urllib.parse.urlparse(source).scheme:
            yield f"{source} (an image from the network: keep it in the repository)"
            continue
        path = urllib.parse.unquote(source.split("#")[0])
        if not os.path.isfile(os.path.join(os.path.dirname(chapter), path)):
            yield source


def apparatus_problems():
    """What docs/apparatus.py (the chapters' teaching parts) finds, if it is there."""
    path = os.path.join(REPO, "docs", "apparatus.py")
    if not os.path.exists(path):
        return []
    spec = importlib.util.spec_from_file_location("book_apparatus", path)
    module = importlib.util.module_from_spec(spec)
    sys.dont_write_bytecode = True  # no docs/__pycache__ in a reader's checkout
    try:
        spec.loader.exec_module(module)
        return [str(problem) for problem in module.problems(REPO)]
    except Exception as error:  # a broken check must fail the check, not pass it
        return [f"docs/apparatus.py failed: {type(error).__name__}: {error}"]


def check():
    problems, used, seen_ids, diffed = [], set(), set(), set()
    tested_ids = transcript_ids_in_tests()
    names = test_names()
    for chapter in chapters():
        if not os.path.exists(chapter):
            problems.append(f"chapters/ORDER names {relative(chapter)}, which does not exist")
            continue
        with open(chapter, encoding="utf-8") as f:
            lines = f.read().split("\n")
        shown = {}
        for kind, argument, first, last, _ in directives(chapter):
            where = f"{relative(chapter)}:{first}"
            if kind == "diff":
                old, new, *selector = argument.split()
                folder = os.path.dirname(chapter)
                pair = (os.path.normpath(os.path.join(folder, old)), os.path.normpath(os.path.join(folder, new)))
                shown.setdefault(pair, []).append(selector[0] if selector else None)
                diffed.add(pair[1])
            if kind == "transcript":
                if argument in seen_ids:
                    problems.append(f"{where}: transcript id {argument} used twice")
                if argument not in tested_ids:
                    problems.append(f"{where}: no test runs transcript {argument}")
                seen_ids.add(argument)
                continue
            if kind == "include":
                file, name = argument.split()
                used.add((os.path.normpath(os.path.join(os.path.dirname(chapter), file)), name[1:-1]))
            try:
                expected = expected_text(chapter, kind, argument)
            except (BookError, OSError) as error:
                problems.append(f"{where}: {error}")
                continue
            if "\n".join(lines[first:last]) != expected:
                problems.append(f"{where}: the copy of '{kind} {argument}' differs from the source"
                                " (run: make regions)")
        for number in console_blocks_without_transcript(chapter):
            problems.append(f"{relative(chapter)}:{number}: console block with no <!-- transcript ID -->")
        problems += check_hunks_shown(chapter, shown)
        for span in cited_tests_missing(chapter, names):
            problems.append(f"{relative(chapter)}: cites the test '{span}', which no test is named")
        for image in missing_images(chapter):
            problems.append(f"{relative(chapter)}: missing image: {image}")
    for source in all_sources():
        # A source that a chapter shows as a diff keeps the markers of the step
        # it grew from, so that the two files differ only where the code does.
        if os.path.normpath(source) in diffed:
            continue
        for name in read_regions(source):
            if (os.path.normpath(source), name) not in used:
                problems.append(f"{relative(source)}: region [{name}] is used by no chapter")
    problems += apparatus_problems()
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


def refresh():
    for chapter in chapters():
        with open(chapter, encoding="utf-8") as f:
            lines = f.read().split("\n")
        # Replace from the end, so that earlier line numbers stay valid.
        for kind, argument, first, last, _ in reversed(list(directives(chapter))):
            expected = expected_text(chapter, kind, argument)
            if expected is not None:
                lines[first:last] = expected.split("\n")
        with open(chapter, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
    return 0


def transcript_text(wanted):
    for chapter in chapters():
        with open(chapter, encoding="utf-8") as f:
            lines = f.read().split("\n")
        for kind, argument, first, last, _ in directives(chapter):
            if kind == "transcript" and argument == wanted:
                return "\n".join(lines[first:last])
    raise BookError(f"no transcript {wanted} in any chapter")


def normalise(text, port=None):
    """What may differ between a chapter's session and a replay: the port the
    test's server had (the chapter shows 9797), the ports the system picked
    for clients, and the ^C a terminal echoes. (Make's words on Ctrl-C are
    compared as they are: tests/book.bats deals with their one race.)"""
    if port:
        text = re.sub(rf"-p (0|{port})\b", "-p 9797", text)
        text = re.sub(rf":{port}\b", ":9797", text)
    text = re.sub(r"127\.0\.0\.1:(?!9797\b)\d+", "127.0.0.1:PEER", text)
    text = re.sub(r"^\^C", "", text, flags=re.M)
    return text.rstrip("\n").split("\n")


def compare(wanted, actual_file, port=None):
    chapter_lines = transcript_text(wanted)
    with open(actual_file, encoding="utf-8", errors="backslashreplace") as f:
        actual = f.read()
    expected_lines, actual_lines = normalise(chapter_lines), normalise(actual, port)
    if expected_lines == actual_lines:
        return 0
    print(f"transcript {wanted}: the replay differs from the chapter (after normalising ports):", file=sys.stderr)
    for line in difflib.unified_diff(expected_lines, actual_lines, "chapter", "replay", lineterm=""):
        print(line, file=sys.stderr)
    return 1


# --- HTML notes --------------------------------------------------------------

def page_name(chapter):
    """steps/01-x/README.md -> 01-x.html; chapters/00-y.md -> 00-y.html"""
    base = os.path.basename(chapter)
    if base == "README.md":
        base = os.path.basename(os.path.dirname(chapter))
    return os.path.splitext(base)[0] + ".html"


def title_of(chapter):
    with open(chapter, encoding="utf-8") as f:
        for line in f:
            if line.startswith("# "):
                return line[2:].strip()
    raise BookError(f"{relative(chapter)} has no '# Title' line")


def navigation(pages, index, out_dir):
    """The previous / contents / next bar (and source links) for one page."""
    links = []
    if index > 0:
        links.append(f'<a rel="prev" href="{page_name(pages[index - 1])}">&larr; {html_text(title_of(pages[index - 1]))}</a>')
    links.append('<a href="index.html">Contents</a>')
    if index + 1 < len(pages):
        links.append(f'<a rel="next" href="{page_name(pages[index + 1])}">{html_text(title_of(pages[index + 1]))} &rarr;</a>')
    bar = '<nav class="book-nav">' + " ".join(links) + "</nav>\n"
    folder = os.path.dirname(pages[index])
    sources = [name for name in sorted(os.listdir(folder)) if name.endswith(".c")] if relative(folder).startswith("steps") else []
    if sources:
        source_links = ", ".join(
            f'<a href="{os.path.relpath(os.path.join(folder, name), out_dir)}">{relative(os.path.join(folder, name))}</a>'
            for name in sources)
        bar += f'<p class="source-link">Source: {source_links}</p>\n'
    return bar


def html_text(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("`", "")


def pages_metadata():
    """What the filter needs to turn a link to a chapter into one to its page."""
    return "--metadata=book-pages:" + " ".join(
        f"{relative(chapter)}={page_name(chapter)[:-len('.html')]}" for chapter in chapters())


def pandoc(source, target, extra, mode="html"):
    """Runs pandoc with the book's filter on one chapter. mode "html": a
    standalone page; "pdf": the chapter's document tree as JSON, for build_pdf."""
    docs = os.path.join(REPO, "docs")
    # Links to the repository's files: from the page in the notes; in the PDF,
    # whose page is printed from a temporary folder, to where the files are.
    repo_from_page = (os.path.relpath(REPO, os.path.dirname(target)) if mode == "html"
                      else "file://" + urllib.parse.quote(REPO))
    if mode == "html":
        form = ["--to=html5", "--standalone", "--shift-heading-level-by=-1", "--css=style.css",
                "--highlight-style=tango"]
    else:
        form = ["--to=json"]
    command = ["pandoc", relative(source), "--from=gfm", "--fail-if-warnings"] + form + [
               f"--lua-filter={os.path.join(docs, 'book.lua')}", "--metadata=lang:en",
               # what the filter needs: how to run this tool, and where the repo is from the page
               f"--metadata=book-python:{sys.executable}",
               f"--metadata=repo-from-page:{repo_from_page}",
               f"--metadata=book-mode:{mode}", pages_metadata(),
               "-o", target] + extra
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    if result.returncode != 0 or result.stderr:
        raise BookError(f"pandoc on {relative(source)}:\n{result.stderr}")


def copy_images(page_paths, out_dir):
    """Copies every image the pages load from images/PATH (the filter's
    doing) from PATH in the repository. One that does not exist is left out:
    book.py links (and book.py check, in the chapters) report it."""
    for path in page_paths:
        for resource in parse_page(path).resources:
            if not resource.startswith("images/"):
                continue
            source = os.path.join(REPO, urllib.parse.unquote(resource[len("images/"):]))
            target = os.path.join(out_dir, urllib.parse.unquote(resource))
            if os.path.isfile(source):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copyfile(source, target)


def build_html(out_dir):
    if not shutil.which("pandoc"):
        raise BookError("pandoc is not installed. On Debian or Ubuntu: "
                        "sudo apt-get install --no-install-recommends pandoc")
    out_dir = os.path.abspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    shutil.copy(os.path.join(REPO, "docs", "style.css"), out_dir)
    pages = chapters()
    work = os.path.join(out_dir, ".work")
    os.makedirs(work, exist_ok=True)
    for index, chapter in enumerate(pages):
        nav = os.path.join(work, "nav.html")
        with open(nav, "w", encoding="utf-8") as f:
            f.write(navigation(pages, index, out_dir))
        pandoc(chapter, os.path.join(out_dir, page_name(chapter)),
               ["--toc", "--toc-depth=2", f"--include-before-body={nav}", f"--include-after-body={nav}"])
    contents = os.path.join(work, "index.md")
    with open(contents, "w", encoding="utf-8") as f:
        f.write("# Socket Steps\n\nTCP socket programming in C, one runnable step at a time.\n\n")
        for chapter in pages:
            f.write(f"1. [{title_of(chapter)}]({page_name(chapter)})\n")
    pandoc(contents, os.path.join(out_dir, "index.html"), [])
    shutil.rmtree(work)
    shutil.rmtree(os.path.join(out_dir, "images"), ignore_errors=True)
    copy_images([os.path.join(out_dir, page_name(chapter)) for chapter in pages], out_dir)
    print(f"built {len(pages) + 1} pages in {relative(out_dir)}/")
    return 0


# --- the PDF -------------------------------------------------------------------

# A diff longer than this many lines goes, in the PDF, to the appendix.
LONG_DIFF_LINES = 60
BROWSERS = ["chromium", "chromium-browser", "google-chrome"]


def inlines(text):
    """Plain text as pandoc's JSON inlines."""
    words = []
    for word in text.split(" "):
        if word:
            words += [{"t": "Space"}] if words else []
            words.append({"t": "Str", "c": word})
    return words


def link(text, target):
    return {"t": "Link", "c": [["", [], []], inlines(text), [target, ""]]}


def header(level, identifier, text):
    return {"t": "Header", "c": [level, [identifier, [], []], inlines(text)]}


def long_diff_threshold():
    value = os.environ.get("BOOK_LONG_DIFF_LINES", str(LONG_DIFF_LINES))
    if not value.isdigit():
        raise BookError(f"BOOK_LONG_DIFF_LINES={value}: want a number of lines")
    return int(value)


def move_long_diffs(chapter_blocks, threshold):
    """Takes each Div.long-diff (the filter's mark on a diff longer than
    threshold lines) out of its chapter, leaves a pointer in its place, and
    returns the book's blocks with the appendix at their end."""
    book_blocks, appendix, moved = [], [], 0
    for chapter, blocks in chapter_blocks:
        for block in blocks:
            if block["t"] != "Div" or "long-diff" not in block["c"][0][1]:
                book_blocks.append(block)
                continue
            attributes, content = dict(block["c"][0][2]), block["c"][1]
            moved += 1
            number, here, there = f"A.{moved}", f"long-diff-{moved}", f"appendix-a-{moved}"
            book_blocks.append({"t": "Div", "c": [[here, ["long-diff-pointer"], []], [{"t": "Para", "c": (
                inlines(f"The diff ({attributes['lines']} lines) is in")
                + [{"t": "Space"}, link(f"Appendix {number}", f"#{there}"), {"t": "Str", "c": "."}])}]]})
            place = title_of(chapter).replace("`", "")
            if attributes.get("section"):
                place += f" — {attributes['section']}"
            appendix += [header(2, there, f"{number} {place}"),
                         {"t": "Para", "c": inlines(f"{attributes['lines']} lines, from") + [
                             {"t": "Space"}, link(place, f"#{here}"), {"t": "Str", "c": "."}]}] + content
    if appendix:
        book_blocks += [header(1, "appendix-long-diffs", "Appendix: long diffs"),
                        {"t": "Para", "c": inlines(f"The diffs longer than {threshold} lines, moved here "
                                                   "so that their chapters read on in print.")}] + appendix
    return book_blocks


def browser():
    for name in BROWSERS:
        if shutil.which(name):
            return name
    raise BookError("Chromium is not installed (it prints the PDF). On Debian or Ubuntu: "
                    "sudo apt-get install chromium")


def build_pdf(out_pdf):
    """The whole book as one PDF: every chapter of chapters/ORDER in one
    HTML page (pandoc, the same filter as the notes, docs/print.css), printed
    by headless Chromium. No LaTeX."""
    if not shutil.which("pandoc"):
        raise BookError("pandoc is not installed. On Debian or Ubuntu: "
                        "sudo apt-get install --no-install-recommends pandoc")
    chromium = browser()
    out_pdf = os.path.abspath(out_pdf)
    threshold = long_diff_threshold()
    with tempfile.TemporaryDirectory(prefix="book-pdf-") as work:
        chapter_blocks, api = [], None
        for chapter in chapters():
            if not os.path.exists(chapter):
                raise BookError(f"chapters/ORDER names {relative(chapter)}, which does not exist")
            slug = page_name(chapter)[:-len(".html")]
            tree = os.path.join(work, slug + ".json")
            pandoc(chapter, tree, [f"--metadata=page-slug:{slug}", f"--metadata=long-diff-lines:{threshold}"],
                   mode="pdf")
            with open(tree, encoding="utf-8") as f:
                document = json.load(f)
            api = document["pandoc-api-version"]
            chapter_blocks.append((chapter, document["blocks"]))
        whole = os.path.join(work, "book.json")
        with open(whole, "w", encoding="utf-8") as f:
            json.dump({"pandoc-api-version": api, "meta": {},
                       "blocks": move_long_diffs(chapter_blocks, threshold)}, f)
        page = os.path.join(work, "book.html")
        for css in ("style.css", "print.css"):
            shutil.copy(os.path.join(REPO, "docs", css), work)
        result = subprocess.run(
            ["pandoc", whole, "--from=json", "--to=html5", "--standalone", "--fail-if-warnings",
             "--toc", "--toc-depth=1", "--css=style.css", "--css=print.css", "--highlight-style=tango",
             "--metadata=lang:en", "--metadata=title:Socket Steps", "--metadata=toc-title:Contents",
             "--metadata=subtitle:TCP socket programming in C, one runnable step at a time",
             "-o", page], capture_output=True, text=True)
        if result.returncode != 0 or result.stderr:
            raise BookError(f"pandoc on the whole book:\n{result.stderr}")
        copy_images([page], work)
        if os.environ.get("BOOK_KEEP_HTML"):
            shutil.copytree(work, os.environ["BOOK_KEEP_HTML"], dirs_exist_ok=True)
        if os.path.exists(out_pdf):
            os.remove(out_pdf)
        os.makedirs(os.path.dirname(out_pdf), exist_ok=True)
        command = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update", "--disable-sync",
                   f"--user-data-dir={os.path.join(work, 'chromium')}", "--no-pdf-header-footer",
                   f"--print-to-pdf={out_pdf}", "file://" + urllib.parse.quote(page)]
        try:
            printed = subprocess.run(command, capture_output=True, text=True, timeout=180)
        except subprocess.TimeoutExpired:
            raise BookError(f"{chromium} did not print the PDF within 180 s")
        if printed.returncode != 0 or not os.path.isfile(out_pdf) or os.path.getsize(out_pdf) == 0:
            raise BookError(f"{chromium} did not print {out_pdf}:\n{printed.stderr}")
    shown = os.path.relpath(out_pdf)
    print(f"wrote {out_pdf if shown.startswith('..') else shown}")
    return 0


# --- link checking -------------------------------------------------------------

class PageParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.links, self.resources = set(), [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key):
                self.ids.add(attrs[key])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag in ("img", "script") and attrs.get("src"):
            self.resources.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.resources.append(attrs["href"])


def parse_page(path):
    parser = PageParser()
    with open(path, encoding="utf-8") as f:
        parser.feed(f.read())
    return parser


def check_links(out_dir):
    out_dir = os.path.abspath(out_dir)
    problems, parsed = [], {}
    pages = sorted(name for name in os.listdir(out_dir) if name.endswith(".html"))
    for name in pages:
        parsed[name] = parse_page(os.path.join(out_dir, name))
    for name in pages:
        page = parsed[name]
        for resource in page.resources:
            if urllib.parse.urlparse(resource).scheme:
                problems.append(f"{name}: loads an external resource: {resource}")
            elif not os.path.exists(os.path.join(out_dir, resource)):
                problems.append(f"{name}: missing resource: {resource}")
        for link in page.links:
            url = urllib.parse.urlparse(link)
            if url.scheme:
                continue  # a link out (e.g. the licence) is not a loaded resource
            target = os.path.normpath(os.path.join(out_dir, urllib.parse.unquote(url.path))) if url.path else os.path.join(out_dir, name)
            if not os.path.exists(target):
                problems.append(f"{name}: broken link: {link}")
                continue
            if url.fragment:
                target_name = os.path.relpath(target, out_dir)
                ids = parsed[target_name].ids if target_name in parsed else set()
                if url.fragment not in ids:
                    problems.append(f"{name}: no anchor #{url.fragment} in {target_name}: {link}")
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"checked {sum(len(p.links) for p in parsed.values())} links in {len(pages)} pages")
    return 1 if problems else 0


COMMANDS = {
    "region": lambda path, name: print(region(path, name)) or 0,
    "diff": lambda old, new, selector=None: print(source_diff(old, new, selector)) or 0,
    "check": check,
    "refresh": refresh,
    "transcript": lambda wanted: print(transcript_text(wanted)) or 0,
    "compare": compare,
    "html": build_html,
    "pdf": build_pdf,
    "links": check_links,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    command, arguments = COMMANDS[sys.argv[1]], sys.argv[2:]
    try:
        inspect.signature(command).bind(*arguments)
    except TypeError:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    try:
        sys.exit(command(*arguments))
    except BookError as error:
        print(f"book.py: {error}", file=sys.stderr)
        sys.exit(1)
