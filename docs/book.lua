-- book.lua: the pandoc filter for the HTML notes (run by docs/book.py html).
--
-- * Fills the fenced block after each <!-- include FILE [region] --> or
--   <!-- diff OLD NEW --> directive with what docs/book.py gives for it, read
--   from the source files at build time: the page can never show stale code.
-- * Replaces what stands between <!-- file PATH --> and <!-- end file -->
--   with that file's current text (e.g. the benchmark's results table).
-- * Drops the directives themselves.
-- * Turns links between chapters (.md) into links between pages (.html), and
--   links to other repository files into paths that work from the page.

local chapter = PANDOC_STATE.input_files[1] -- relative to the repository
local folder = pandoc.path.directory(chapter)
local python, repo_from_page

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
  return path:match("^steps/([^/]+)/README%.md$")
      or path:match("^steps/([^/]+)/?$")
      or path:match("^chapters/([^/]+)%.md$")
end

local function rewrite_target(target)
  if target:match("^%a[%w+.%-]*:") or target:match("^#") or target:match("^[%w%-]+%.html$") then
    return target -- a link out of the book, within the page, or already to a page
  end
  local path, fragment = target:match("^([^#]*)(#?.*)$")
  local resolved = normalise(folder .. "/" .. path)
  local page = page_for(resolved)
  if page then
    return page .. ".html" .. fragment
  elseif resolved == "README.md" or resolved == "" then
    return "index.html" .. fragment
  end
  return repo_from_page .. "/" .. resolved .. fragment
end

local function rewrite_link(link)
  link.target = rewrite_target(link.target)
  return link
end

local function rewrite_image(image)
  image.src = rewrite_target(image.src)
  return image
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

local function fill_directives(blocks)
  local result = {}
  local i = 1
  while i <= #blocks do
    local block = blocks[i]
    local kind, argument
    if block.t == "RawBlock" and block.format == "html" then
      kind, argument = block.text:match("^<!%-%- (%a+) (.-) %-%->%s*$")
    end
    if kind == "file" then
      -- Replace everything up to <!-- end file --> with the file, as it is now.
      local handle = assert(io.open(folder .. "/" .. argument, "r"))
      local text = handle:read("a")
      handle:close()
      for _, included in ipairs(pandoc.read(text, "gfm").blocks) do
        if included.t == "Header" then
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
        table.insert(result, pandoc.CodeBlock(text, code.attr))
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
  doc.blocks = fill_directives(doc.blocks)
  return doc:walk({Link = rewrite_link, Image = rewrite_image})
end
