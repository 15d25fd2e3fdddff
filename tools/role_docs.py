"""Each role's variable tables in its README, generated from its meta/argument_specs.yml (the one source).

    python3 tools/role_docs.py          rewrite the generated blocks of every role README
    python3 tools/role_docs.py --check  exit 1 and name the READMEs whose block differs (tests/unit runs this)

A README holds one block between BEGIN and END markers; it lists the options of every entry point (the main one
first; other entry points under their own heading, as the common role has).
"""

import argparse
import json
import os
import re
import sys

import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN = ('<!-- BEGIN variables: generated from meta/argument_specs.yml by tools/role_docs.py; edit the spec and run '
         '`make docs` -->')
END = '<!-- END variables -->'
# Ansible's documentation markup, as markdown.
MARKUP = [
    (re.compile(r'L\(([^,)]+),\s*([^)]+)\)'), r'[\1](\2)'),
    (re.compile(r'U\(([^)]+)\)'), r'\1'),
    (re.compile(r'B\(([^)]+)\)'), r'**\1**'),
    (re.compile(r'P\(([^#)]+)(#[a-z]+)?\)'), r'`\1`'),
    (re.compile(r'[CVOIMRE]V?\(([^)]*)\)'), r'`\1`'),
]


def text(description):
    """One table cell from a spec description (a string or a list of paragraphs)."""
    parts = description if isinstance(description, list) else [description or '']
    joined = ' '.join(' '.join(str(part).split()) for part in parts)
    for pattern, replacement in MARKUP:
        joined = pattern.sub(replacement, joined)
    return joined.replace('|', '\\|')


def default(option):
    if 'default' not in option:
        return 'required' if option.get('required') else 'unset'
    value = option['default']
    if isinstance(value, str):
        shown = value if value else '""'
    else:
        shown = json.dumps(value, separators=(', ', ': '))
    return '`%s`' % shown.replace('|', '\\|')


def table(options):
    rows = ['| variable | type | default | description |', '|---|---|---|---|']
    for name, option in options.items():
        kind = option.get('type', 'str')
        if kind == 'list' and option.get('elements'):
            kind = 'list of %s' % option['elements']
        rows.append('| `%s` | %s | %s | %s |' % (name, kind, default(option), text(option.get('description'))))
    return rows


def render(role_dir):
    with open(os.path.join(role_dir, 'meta', 'argument_specs.yml')) as handle:
        specs = yaml.safe_load(handle)['argument_specs']
    lines = [BEGIN]
    entries = sorted(specs, key=lambda entry: (entry != 'main', entry))
    for entry in entries:
        options = specs[entry].get('options') or {}
        if entry == 'main' and not options and len(entries) > 1:
            continue
        if len(entries) > 1:
            lines += ['', '### `%s`' % entry, '', text(specs[entry].get('short_description', ''))]
        lines += [''] + (table(options) if options else ['No variables.'])
    return '\n'.join(lines + ['', END])


def roles():
    base = os.path.join(REPO_ROOT, 'roles')
    return sorted(os.path.join(base, name) for name in os.listdir(base)
                  if os.path.isfile(os.path.join(base, name, 'meta', 'argument_specs.yml')))


def update(role_dir, check):
    """True when the README's block is (or now is) the rendering of the spec."""
    path = os.path.join(role_dir, 'README.md')
    with open(path) as handle:
        readme = handle.read()
    start, stop = readme.find(BEGIN), readme.find(END)
    if start < 0 or stop < start:
        sys.stderr.write('%s: no generated variables block (add the BEGIN and END markers)\n' % path)
        return False
    wanted = readme[:start] + render(role_dir) + readme[stop + len(END):]
    if wanted == readme:
        return True
    if check:
        sys.stderr.write('%s: the variables table differs from meta/argument_specs.yml; run make docs\n' % path)
        return False
    with open(path, 'w') as handle:
        handle.write(wanted)
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--check', action='store_true', help='change nothing; fail when a README differs')
    args = parser.parse_args()
    results = [update(role_dir, args.check) for role_dir in roles()]
    return 0 if all(results) else 1


if __name__ == '__main__':
    sys.exit(main())
