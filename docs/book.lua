-- book.lua: the pandoc filter for the HTML notes and the PDF (run by
-- docs/book.py html and docs/book.py pdf, once for each chapter).
--
-- * Fills the fenced block after each <!-- include FILE [region] --> or
--   <!-- diff OLD NEW --> directive with what docs/book.py gives for it, read
--   from the source files at build time: the page can never show stale code.
-- * Replaces what stands between <!-- file PATH --> and <!-- end file -->
--   with that file's current text (e.g. the benchmark's results table).
-- * Drops the directives themselves.
-- * Turns links between chapters (.md) into links between pages (.html), and
--   links to other repository files into paths that work from the page.
-- * Points images at images/PATH (PATH from the repository's top), where
--   book.py copies them, so the notes need nothing outside their folder.
--
-- For the PDF (metadata book-mode: pdf) every chapter goes into one page:
-- headings keep their levels (the chapter's title is the page's level 1),
-- every identifier gets the chapter's prefix (page-slug) so that two chapters'
-- "What can go wrong" stay apart, links between chapters become links within
-- the page, and a diff longer than long-diff-lines lines is wrapped in a
-- Div.long-diff, which book.py moves to the appendix.

local chapter = PANDOC_STATE.input_files[1] -- relative to the repository
local folder = pandoc.path.directory(chapter)
local python, repo_from_page
local mode = "html"
local slug = ""
local long_diff_lines = math.huge
local pages = {} -- chapter path (from the repository's top) -> page name, no ".html"

local function book(...)
  local ok, text = pcall(pandoc.pipe, python, {"docs/book.py", ...}, "")
  if not ok then
    error("book.lua: " .. chapter .. ": " .. tostring(text))
  end
  return (text:gsub("\n$", ""))
end

-- "steps/02-x/../01-y/server.c" -> "steps/01-y/server.c"
local function normalise(path)
  local parts = {}
  for part in path:gmatch("[^/]+") do
    if part == ".." then
      table.remove(parts)
    elseif part ~= "." then
      table.insert(parts, part)
    end
  end
  return table.concat(parts, "/")
end

local function page_for(path)
  return pages[path]
      or path:match("^steps/([^/]+)/README%.md$")
      or path:match("^steps/([^/]+)/?$")
      or path:match("^chapters/([^/]+)%.md$")
end

-- An identifier of this chapter, as the one-page book has it.
local function prefixed(id, page)
  if mode ~= "pdf" then
    return id
  end
  return (page or slug) .. "--" .. id
end

-- "#x" in page P: the one-page book's name for that place (the chapter's
-- top when there is no fragment).
local function place(page, fragment)
  if mode ~= "pdf" then
    return page .. ".html" .. fragment
  end
  if fragment == "" or fragment == "#" then
    return "#" .. page
  end
  return "#" .. prefixed(fragment:sub(2), page)
end

local function rewrite_target(target)
  if target:match("^%a[%w+.%-]*:") then
    return target -- a link out of the book
  elseif target:match("^#") then
    return mode == "pdf" and "#" .. prefixed(target:sub(2)) or target
  end
  local page_link, page_fragment = target:match("^([%w%-]+)%.html(#?.*)$")
  if page_link then
    return place(page_link, page_fragment) -- already to a page
  end
  local path, fragment = target:match("^([^#]*)(#?.*)$")
  local resolved = normalise(folder .. "/" .. path)
  local page = page_for(resolved)
  if page then
    return place(page, fragment)
  elseif resolved == "README.md" or resolved == "" then
    return mode == "pdf" and "#TOC" or "index.html" .. fragment
  end
  return repo_from_page .. "/" .. resolved .. fragment
end

local function rewrite_link(link)
  link.target = rewrite_target(link.target)
  return link
end

local function rewrite_image(image)
  if not image.src:match("^%a[%w+.%-]*:") then
    image.src = "images/" .. normalise(folder .. "/" .. image.src)
  end
  return image
end

local function rename(element)
  if element.identifier ~= "" then
    element.identifier = prefixed(element.identifier)
  end
  return element
end

-- The text a directive stands for, or nil for one that keeps its block as is.
local function directive_text(kind, argument)
  if kind == "include" then
    local file, name = argument:match("^(%S+) %[([%w%-]+)%]$")
    return book("region", folder .. "/" .. file, name)
  elseif kind == "diff" then
    local old, new, hunks = argument:match("^(%S+) (%S+) ?(%S*)$")
    if hunks ~= "" then
      return book("diff", folder .. "/" .. old, folder .. "/" .. new, hunks)
    end
    return book("diff", folder .. "/" .. old, folder .. "/" .. new)
  end
  return nil
end

local function line_count(text)
  local _, newlines = text:gsub("\n", "")
  return newlines + 1
end

-- The headings above a block, below the chapter's title: "Signals › The self-pipe".
local function section_name(headings)
  local names = {}
  for level = 2, 6 do
    if headings[level] then
      table.insert(names, headings[level])
    end
  end
  return table.concat(names, " › ")
end

local function fill_directives(blocks)
  local result = {}
  local headings = {} -- level -> the text of the last heading of that level
  -- The levels the chapter's own headings have by now (html: shifted by -1).
  local top = mode == "pdf" and 1 or 0
  local i = 1
  while i <= #blocks do
    local block = blocks[i]
    local kind, argument
    if block.t == "RawBlock" and block.format == "html" then
      kind, argument = block.text:match("^<!%-%- (%a+) (.-) %-%->%s*$")
    elseif block.t == "Header" then
      headings[block.level + 1 - top] = pandoc.utils.stringify(block.content)
      for deeper = block.level + 2 - top, 6 do
        headings[deeper] = nil
      end
    end
    if kind == "file" then
      -- Replace everything up to <!-- end file --> with the file, as it is now.
      local handle = assert(io.open(folder .. "/" .. argument, "r"))
      local text = handle:read("a")
      handle:close()
      for _, included in ipairs(pandoc.read(text, "gfm").blocks) do
        if included.t == "Header" and mode ~= "pdf" then
          -- as --shift-heading-level-by=-1 did to the chapter's own headings
          included.level = math.max(1, included.level - 1)
        end
        table.insert(result, included)
      end
      repeat
        i = i + 1
      until i > #blocks or (blocks[i].t == "RawBlock" and blocks[i].text:match("^<!%-%- end file %-%->"))
    elseif kind == nil then
      table.insert(result, block)
    else
      -- Drop the directive; fill the block after it, if it stands for code.
      local text = directive_text(kind, argument)
      local code = blocks[i + 1]
      if text ~= nil and code ~= nil and code.t == "CodeBlock" then
        local filled = pandoc.CodeBlock(text, code.attr)
        if mode == "pdf" and kind == "diff" and line_count(text) > long_diff_lines then
          filled = pandoc.Div({filled}, pandoc.Attr("", {"long-diff"},
            {lines = tostring(line_count(text)), section = section_name(headings)}))
        end
        table.insert(result, filled)
        i = i + 1
      end
    end
    i = i + 1
  end
  return result
end

function Pandoc(doc)
  python = pandoc.utils.stringify(doc.meta["book-python"])
  repo_from_page = pandoc.utils.stringify(doc.meta["repo-from-page"])
  if doc.meta["book-mode"] then
    mode = pandoc.utils.stringify(doc.meta["book-mode"])
  end
  if doc.meta["page-slug"] then
    slug = pandoc.utils.stringify(doc.meta["page-slug"])
  end
  if doc.meta["long-diff-lines"] then
    long_diff_lines = tonumber(pandoc.utils.stringify(doc.meta["long-diff-lines"]))
  end
  if doc.meta["book-pages"] then
    -- "PATH=PAGE PATH=PAGE ...": the chapters of chapters/ORDER
    for path, page in pandoc.utils.stringify(doc.meta["book-pages"]):gmatch("(%S+)=(%S+)") do
      pages[path] = page
    end
  end
  doc.blocks = fill_directives(doc.blocks)
  local filters = {Link = rewrite_link, Image = rewrite_image}
  if mode == "pdf" then
    local titled = false
    filters.Header = function(header)
      if header.level == 1 and not titled then
        titled = true
        header.identifier = slug -- the chapter's title: links to the chapter land here
        return header
      end
      return rename(header)
    end
    filters.Div = rename
    filters.Span = rename
    filters.CodeBlock = rename
  end
  return doc:walk(filters)
end
