#!/usr/bin/env python3
"""The layer rules of docs/architecture.md, enforced.

Every `#include "dir/file.h"` in the program's source folders must name
its own folder or one the folder may use (MAY_INCLUDE, the table in
docs/architecture.md). Includes that still break the rules are listed in
PENDING, each with the issue 10 step that removes it; an entry that no
longer occurs fails too, so the list only shrinks.

A folder's private headers (`*_int.h`, e.g. replay/rr_int.h) may be
included only from the folder that holds them (or below it): other folders
use its public header.

To change a rule, edit MAY_INCLUDE here and the table in the document
together. A new source folder needs a row before it builds into rewind.

Usage: layers_test.py [SOURCE_ROOT]
"""
import os
import re
import sys

# Folder -> the folders it may include (besides itself). Lower layers
# first; nothing may include `shell` (the top).
MAY_INCLUDE = {
    'backends': ['core'],
    'tracedb': [],
    'core': [],
    'tcg': ['core'],
    'accel': ['core', 'tcg'],
    'hw': ['core', 'backends', 'tcg', 'accel'],
    'gdbstub': ['core'],   # CPUs only through core/target.h
    'replay': ['core', 'backends', 'tracedb'],
    'shell': ['core', 'backends', 'tracedb', 'tcg', 'accel', 'hw',
              'gdbstub', 'replay'],
}

# Known violations still to remove: (file, included) -> what removes it,
# e.g. ('core/input.c', 'backends/hostclock.h'): 'issue 10 item 2'.
PENDING = {
}

# Top-level folders that are not part of the program.
NOT_SOURCE = {'tests', 'bench', 'scripts', 'docs', 'subprojects'}

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


def source_folders(root):
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name)
        if (not os.path.isdir(path) or name.startswith(('.', 'build'))
                or name in NOT_SOURCE):
            continue
        yield name


def includes(root, folder):
    for dirpath, _, files in os.walk(os.path.join(root, folder)):
        for f in sorted(files):
            if not f.endswith(('.c', '.h')):
                continue
            path = os.path.join(dirpath, f)
            rel = os.path.relpath(path, root).replace(os.sep, '/')
            with open(path, encoding='utf-8', errors='replace') as fh:
                for lineno, line in enumerate(fh, 1):
                    m = INCLUDE.match(line)
                    if m:
                        yield rel, lineno, m.group(1)


def check(root):
    errors = []
    seen = set()
    for folder in source_folders(root):
        if folder not in MAY_INCLUDE:
            errors.append(f'{folder}/: a source folder with no row in the '
                          'layer table (tests/arch/layers_test.py, '
                          'docs/architecture.md)')
            continue
        allowed = {folder, *MAY_INCLUDE[folder]}
        for rel, lineno, inc in includes(root, folder):
            target = inc.split('/')[0] if '/' in inc else folder
            home = os.path.dirname(inc)
            if (inc.endswith('_int.h') and home and
                    not rel.startswith(home + '/')):
                errors.append(f'{rel}:{lineno}: includes "{inc}", private '
                              f'to {home}/ (docs/architecture.md)')
                continue
            if target in allowed:
                continue
            if (rel, inc) in PENDING:
                seen.add((rel, inc))
                continue
            errors.append(f'{rel}:{lineno}: includes "{inc}": {folder}/ may '
                          f'include only {", ".join(sorted(allowed))} '
                          '(docs/architecture.md)')
    for key in sorted(set(PENDING) - seen):
        errors.append(f'{key[0]} no longer includes "{key[1]}": remove it '
                      'from PENDING in tests/arch/layers_test.py and from '
                      'docs/architecture.md')
    return errors


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', '..')
    errors = check(root)
    for e in errors:
        print(e)
    if errors:
        print(f'layers: {len(errors)} violation(s)')
        return 1
    print(f'layers: ok ({len(PENDING)} known exceptions left)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
