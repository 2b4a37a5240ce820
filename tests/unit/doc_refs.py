#!/usr/bin/env python3
"""Docs that cannot rot: every path and nvmx name the docs quote must exist in the tree.

usage: doc_refs.py SOURCE_DIR [--skip FILE]...   (or NVMX_DOC_REFS_SKIP="FILE FILE")

Reads docs/*.md and README.md (FILE: relative to SOURCE_DIR; skipped files are not read) and
prints `FILE:LINE: 'NAME' does not exist in the tree` for each reference that is missing; exit
status 1 if there is one.

The rules:
- Only code spans count: text between backticks, as Markdown pairs them (a span may continue
  on the next line of its paragraph). Inside a fenced code block (``` or ~~~) the same holds
  line by line: a bare path in a command or a listing is not checked, a backticked one is.
  Indented code blocks have no backticks, so nothing in them is checked.
- A path: any whitespace-separated word of a span that begins with a top-level folder of the
  tree and a slash (`src/`, `.ci/`...: the folders `git ls-files` has, so `build/` never counts;
  without git, the folders a walk finds, build trees left out).
  Quotes, brackets and trailing punctuation around it are dropped, and so is a `:LINE` or
  `:LINE-LINE` after it (the file must then have that line). It must be a tracked file, or a
  folder holding one (a trailing slash: a folder). A word with `*`, `?` or `[` is a glob and must
  match a tracked file or folder; `{a,b}` alternatives are expanded first, and each must exist.
- A name: a span that is one identifier beginning with `nvmx_`, `nvmxd_`, `lab_` or `top_`,
  possibly after `struct `, `enum ` or `union `, possibly followed by `()` or by `{labels}`. It
  must occur as a whole word in a tracked text file outside docs/ and README.md, tests/data/ and
  tests/golden/ (captures and expected outputs quote names, they do not define them). A metric
  sample's name also matches its family's: the name without `_total`, `_bucket`, `_sum`, `_count`
  or `_info`, as nvmxd writes counter and histogram families. Names CMake builds from a variable
  (`lab_${k}_prometheus`) match any value in place of the variable.
- Not checked: other spans (kernel functions, JSON keys, commands), bare words, Markdown links.
"""
import fnmatch
import os
import re
import subprocess
import sys

PREFIXES = ("nvmx_", "nvmxd_", "lab_", "top_")
SUFFIXES = ("_total", "_bucket", "_sum", "_count", "_info")
NAME_RE = re.compile(r"^(?:(?:struct|enum|union) )?((?:%s)[A-Za-z0-9_]*)(?:\(\)|\{[^}]*\})?$"
                     % "|".join(re.escape(p) for p in PREFIXES))
FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
LINE_RE = re.compile(r":(\d+)(?:-(\d+))?$")
SPAN_RE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
CMAKE_VAR_RE = re.compile(r"\$\{[A-Za-z0-9_]+\}")


def tracked(root):
    """The tree's files: git's list, or without git (a tarball) a walk that leaves out what
    .gitignore does and any build tree."""
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-z"], check=True,
                             capture_output=True).stdout
        return [p for p in out.decode().split("\0") if p]
    except (OSError, subprocess.CalledProcessError):
        pass
    files = []
    for d, subdirs, names in os.walk(root):
        rel = os.path.relpath(d, root)
        subdirs[:] = sorted(
            s for s in subdirs
            if not (s.startswith(".") and s != ".ci") and s != "__pycache__"
            and not (rel == "." and (s == "build" or s.startswith("build-")))
            and not os.path.exists(os.path.join(d, s, "CMakeCache.txt")))
        files += [os.path.normpath(os.path.join(rel, n)) for n in names
                  if not n.endswith((".o", ".swp", ".pyc"))]
    return files


def spans(text):
    """(line, span text) of every code span: paragraphs outside fences, lines inside them."""
    lines = text.split("\n")
    fence = None
    para, para_start = [], 0

    def flush():
        if para:
            joined = "\n".join(para)
            for m in SPAN_RE.finditer(joined):
                yield para_start + joined.count("\n", 0, m.start(2)), m.group(2).strip()

    for i, line in enumerate(lines, 1):
        m = FENCE_RE.match(line)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
                continue
            for s in SPAN_RE.finditer(line):
                yield i, s.group(2).strip()
            continue
        if m:
            yield from flush()
            para = []
            fence = m.group(1)
            continue
        if not line.strip():
            yield from flush()
            para = []
            continue
        if not para:
            para_start = i
        para.append(line)
    yield from flush()


def expand_braces(word):
    m = re.search(r"\{([^{}]*,[^{}]*)\}", word)
    if not m:
        return [word]
    return [w for alt in m.group(1).split(",")
            for w in expand_braces(word[:m.start()] + alt + word[m.end():])]


def path_exists(root, word, files, dirs):
    m = LINE_RE.search(word)
    path = word[:m.start()] if m else word
    if any(c in path for c in "*?["):
        pat = path.rstrip("/")
        return any(fnmatch.fnmatchcase(p, pat) for p in files) or \
            any(fnmatch.fnmatchcase(d, pat) for d in dirs)
    if path.endswith("/"):
        return path.rstrip("/") in dirs
    if path in dirs:
        return not m
    if path not in files:
        return False
    if m:
        last = int(m.group(2) or m.group(1))
        with open(os.path.join(root, path), "rb") as f:
            return last <= f.read().count(b"\n")
    return True


def path_words(span, tops):
    for word in span.split():
        word = word.strip("\"'`()[],;<>").rstrip(".")
        if "/" in word and word.split("/", 1)[0] in tops:
            yield word


def corpus(root, files):
    """The text the names must be found in, and CMake name patterns with their variables open."""
    texts, patterns = [], []
    for p in files:
        if p == "README.md" or p.startswith(("docs/", "tests/data/", "tests/golden/")):
            continue
        try:
            with open(os.path.join(root, p), "rb") as f:
                data = f.read()
        except OSError:
            continue  # a tracked file deleted in the worktree
        if b"\0" in data:
            continue
        text = data.decode("utf-8", "replace")
        texts.append(text)
        if p.endswith(("CMakeLists.txt", ".cmake")):
            for word in re.findall(r"[A-Za-z0-9_]*(?:\$\{[A-Za-z0-9_]+\}[A-Za-z0-9_]*)+", text):
                if word.startswith(PREFIXES):
                    parts = CMAKE_VAR_RE.split(word)
                    patterns.append(re.compile(
                        "^" + "[A-Za-z0-9_.]+".join(re.escape(s) for s in parts) + "$"))
    return "\n".join(texts), patterns


def name_exists(name, text, patterns, cache):
    if name in cache:
        return cache[name]
    cands = [name] + [name[:-len(s)] for s in SUFFIXES if name.endswith(s)]
    found = any(re.search(r"(?<![A-Za-z0-9_])%s(?![A-Za-z0-9_])" % re.escape(c), text)
                for c in cands) or any(p.match(name) for p in patterns)
    cache[name] = found
    return found


def main(argv):
    args = argv[1:]
    if not args:
        sys.exit(__doc__)
    root = args.pop(0)
    skip = set(os.environ.get("NVMX_DOC_REFS_SKIP", "").replace(",", " ").split())
    while args:
        if args[0] == "--skip" and len(args) > 1:
            skip.add(args[1])
            args = args[2:]
        else:
            sys.exit("unknown argument: %s\n%s" % (args[0], __doc__))

    files = tracked(root)
    fileset = set(files)
    dirs = {os.path.dirname(p) for p in files}
    for d in list(dirs):
        while d:
            dirs.add(d)
            d = os.path.dirname(d)
    dirs.discard("")
    tops = {p.split("/", 1)[0] for p in files if "/" in p}
    docs = sorted(p for p in files if re.fullmatch(r"docs/[^/]+\.md", p)) + ["README.md"]
    text, patterns = corpus(root, files)
    cache = {}
    missing = 0

    for doc in docs:
        if doc in skip:
            continue
        with open(os.path.join(root, doc), encoding="utf-8") as f:
            content = f.read()
        for line, span in spans(content):
            bad = []
            m = NAME_RE.match(span)
            if m:
                if not name_exists(m.group(1), text, patterns, cache):
                    bad.append(m.group(1))
            else:
                for word in path_words(span, tops):
                    if not all(path_exists(root, w, fileset, dirs) for w in expand_braces(word)):
                        bad.append(word)
            for b in bad:
                print("%s:%d: '%s' does not exist in the tree" % (doc, line, b))
                missing += 1
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
