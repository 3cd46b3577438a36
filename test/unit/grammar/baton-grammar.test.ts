import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { IGrammar } from 'vscode-textmate';
import { GRAMMAR_FILE, loadBatonGrammar, registry, tokenize, type Token } from './textmate';

const ROOT = path.resolve(__dirname, '../../..');

/**
 * A deliberately small stand-in for VS Code's YAML grammar, shaped like the real one in
 * the ways that matter here: one region that swallows the whole file from the first line
 * (so none of our own #yaml fallback runs), and keys and scalars as regions rather than
 * single matches. It proves that the Baton vocabulary comes from the injections and
 * survives another grammar owning the structure.
 */
const STUB_YAML = {
  scopeName: 'source.yaml',
  patterns: [
    {
      begin: '^',
      while: '^',
      name: 'meta.stream.yaml',
      patterns: [
        { match: '(?:^|(?<=\\s))#.*$', name: 'comment.line.number-sign.yaml' },
        { begin: '(?=[^\\s#:"\\[\\]{},-][^#:]*:(?:\\s|$))', end: '(?=:)', name: 'entity.name.tag.yaml' },
        { match: '(?:^|(?<=\\s))-(?=\\s)', name: 'punctuation.definition.block.sequence.item.yaml' },
        { match: ':(?=\\s|$)', name: 'punctuation.separator.key-value.mapping.yaml' },
        { begin: '"', end: '"', name: 'string.quoted.double.yaml' },
        { match: '[\\[\\]{},]', name: 'punctuation.flow.yaml' },
        { begin: '(?=[^\\s#"\\[\\]{},])', end: '(?=\\s*[,\\]}]|\\s+#|\\s*$)', name: 'string.unquoted.plain.yaml' },
      ],
    },
  ],
};

/**
 * VS Code's own YAML grammar is not in this repository (nor fetched by the tests); point
 * BATON_YAML_GRAMMAR_DIR at a directory holding its yaml*.tmLanguage.json files (from
 * microsoft/vscode extensions/yaml/syntaxes) to run every case against it too.
 */
function vscodeYamlGrammars(): Record<string, unknown> | undefined {
  const dir = process.env.BATON_YAML_GRAMMAR_DIR;
  if (!dir) return undefined;
  const out: Record<string, unknown> = {};
  for (const file of ['yaml', 'yaml-1.0', 'yaml-1.1', 'yaml-1.2', 'yaml-1.3']) {
    const f = path.join(dir, `${file}.tmLanguage.json`);
    if (!existsSync(f)) continue;
    const raw = JSON.parse(readFileSync(f, 'utf8')) as { scopeName: string };
    out[raw.scopeName] = raw;
  }
  return out['source.yaml'] ? out : undefined;
}

interface Mode {
  name: string;
  grammar: () => Promise<IGrammar>;
}

const modes: Mode[] = [
  { name: 'standalone (no YAML grammar installed)', grammar: () => loadBatonGrammar() },
  { name: 'with a source.yaml that owns the structure', grammar: async () => loadBatonGrammar(await registry({ 'source.yaml': STUB_YAML })) },
];
const vscodeYaml = vscodeYamlGrammars();
if (vscodeYaml) modes.push({ name: "with VS Code's YAML grammar", grammar: async () => loadBatonGrammar(await registry(vscodeYaml)) });

/** The token with exactly this text on the (0-based) line; the nth one if it repeats. */
function tokenAt(lines: Token[][], line: number, text: string, nth = 0): Token {
  const found = lines[line].filter((t) => t.text === text);
  assert.ok(found[nth], `no token "${text}" on line ${line + 1}; tokens: ${lines[line].map((t) => JSON.stringify(t.text)).join(' ')}`);
  return found[nth];
}

function hasScope(token: Token, scope: string): boolean {
  return token.scopes.some((s) => s === scope || s.startsWith(`${scope}.`));
}

function assertScope(token: Token, scope: string): void {
  assert.ok(hasScope(token, scope), `"${token.text}" should have ${scope}; has ${token.scopes.join(' ')}`);
}

function assertNoScope(token: Token, scope: string): void {
  assert.ok(!hasScope(token, scope), `"${token.text}" should not have ${scope}; has ${token.scopes.join(' ')}`);
}

describe('grammar: the TextMate grammar file', () => {
  it('is valid JSON with the scope name the extension contributes, and includes source.yaml', () => {
    const raw = JSON.parse(readFileSync(GRAMMAR_FILE, 'utf8')) as { scopeName: string; patterns: Array<{ include?: string }> };
    assert.equal(raw.scopeName, 'source.baton');
    assert.deepEqual(raw.patterns.map((p) => p.include), ['source.yaml', '#yaml']);
  });

  it('language-configuration.json declares # comments, brackets and quote pairs', () => {
    const conf = JSON.parse(readFileSync(path.join(ROOT, 'language-configuration.json'), 'utf8')) as {
      comments: { lineComment: string };
      brackets: string[][];
      autoClosingPairs: Array<{ open: string; close: string }>;
      indentationRules: { increaseIndentPattern: string; decreaseIndentPattern: string };
      wordPattern: string;
    };
    assert.equal(conf.comments.lineComment, '#');
    assert.deepEqual(conf.brackets, [['{', '}'], ['[', ']']]);
    assert.deepEqual(conf.autoClosingPairs.map((p) => p.open + p.close).sort(), ['""', "''", '[]', '{}']);
    const increase = new RegExp(conf.indentationRules.increaseIndentPattern);
    assert.ok(increase.test('  segments:'));
    assert.ok(increase.test('    - name:   # a comment'));
    assert.ok(increase.test('  args: |'));
    assert.ok(!increase.test('  name: demo'));
    assert.ok(new RegExp(conf.indentationRules.decreaseIndentPattern).test('  ]'));
    // App names and transition names are single words for double-click and completion.
    assert.deepEqual('ru-apa1 stop_trigger_sources'.match(new RegExp(conf.wordPattern, 'g')), ['ru-apa1', 'stop_trigger_sources']);
  });
});

for (const mode of modes) {
  describe(`grammar: ${mode.name}`, () => {
    let grammar: IGrammar;
    before(async () => {
      grammar = await mode.grammar();
    });

    it('highlights known placeholders inside a quoted argument, and not unknown ones or escapes', () => {
      const lines = tokenize(grammar, 'args: [--name, "{name}", -c, "rest://{host}:{port}", "{{literal}}", "{prot}"]');
      for (const name of ['name', 'host', 'port']) {
        const t = tokenAt(lines, 0, name);
        assertScope(t, 'variable.other.placeholder.baton');
        assertScope(t, 'string.quoted.double');
      }
      assertScope(tokenAt(lines, 0, '{{'), 'constant.character.escape.placeholder.baton');
      const escaped = lines[0].find((t) => t.text.includes('literal'));
      assert.ok(escaped);
      assertNoScope(escaped, 'variable.other.placeholder.baton');
      const typo = lines[0].find((t) => t.text.includes('prot'));
      assert.ok(typo);
      assertNoScope(typo, 'variable.other.placeholder.baton');
    });

    it('highlights {session} in an env value and in a plain scalar', () => {
      const lines = tokenize(grammar, 'env:\n  DUNEDAQ_PARTITION: "{session}"\n  INFO: file://info_{name}.json');
      assertScope(tokenAt(lines, 1, 'session'), 'variable.other.placeholder.baton');
      assertScope(tokenAt(lines, 2, 'name'), 'variable.other.placeholder.baton');
    });

    it('marks transition names used as keys under order:, timeouts: and commands:', () => {
      const lines = tokenize(grammar, [
        'spec:',
        '  order:',
        '    start: [[dataflow], [readout]]',
        '    stop_trigger_sources: parallel',
        '  timeouts: {default: 30s, boot: 60s}',
        '  commands:',
        '    conf: {modules: []}',
      ].join('\n'));
      for (const [line, key] of [[2, 'start'], [3, 'stop_trigger_sources'], [4, 'boot'], [6, 'conf']] as const) {
        const t = tokenAt(lines, line, key);
        assertScope(t, 'entity.name.function.transition.baton');
        assertScope(t, 'entity.name.tag');
      }
      assertScope(tokenAt(lines, 1, 'order'), 'support.type.property-name.baton');
      assertScope(tokenAt(lines, 3, 'parallel'), 'constant.language.baton');
      // Group members are app/segment names, not vocabulary.
      assertNoScope(tokenAt(lines, 2, 'dataflow'), 'entity.name.function');
    });

    it('marks transition and state names used as values, but not inside other words', () => {
      const lines = tokenize(grammar, [
        'transitions:',
        '  - {name: conf, source: initial, dest: configured}',
        '  - name: reconfigure',
        '    source: [ready, running]',
        '    dest: trigger_sources_stopped',
        'sequences:',
        '  - {name: start_run, steps: [conf, start, enable_triggers]}',
      ].join('\n'));
      assertScope(tokenAt(lines, 1, 'conf'), 'entity.name.function.transition.baton');
      assertScope(tokenAt(lines, 1, 'initial'), 'constant.language.state.baton');
      assertScope(tokenAt(lines, 1, 'configured'), 'constant.language.state.baton');
      assertNoScope(tokenAt(lines, 2, 'reconfigure'), 'entity.name.function.transition.baton');
      assertScope(tokenAt(lines, 3, 'ready'), 'constant.language.state.baton');
      assertScope(tokenAt(lines, 3, 'running'), 'constant.language.state.baton');
      assertScope(tokenAt(lines, 4, 'trigger_sources_stopped'), 'constant.language.state.baton');
      assertScope(tokenAt(lines, 6, 'start_run'), 'entity.name.function.sequence.baton');
      assertScope(tokenAt(lines, 6, 'enable_triggers'), 'entity.name.function.transition.baton');
    });

    it('splits getenv values into function, separator and default', () => {
      const lines = tokenize(grammar, [
        'env:',
        '  PATH: getenv',
        '  LOG_LEVEL: "getenv:info"',
        '  TOKEN: getenv_ifset   # left out when unset',
        '  TRACE_FILE: "getenv:/tmp/trace_{host}_{session}"',
        '  NOT: getenvironment',
      ].join('\n'));
      assertScope(tokenAt(lines, 1, 'getenv'), 'support.function.getenv.baton');
      assertScope(tokenAt(lines, 2, 'getenv'), 'support.function.getenv.baton');
      assertScope(tokenAt(lines, 2, ':', 1), 'punctuation.separator.getenv.baton');
      assertScope(tokenAt(lines, 2, 'info'), 'string.unquoted.getenv-default.baton');
      assertScope(tokenAt(lines, 2, 'info'), 'string.quoted.double');
      assertScope(tokenAt(lines, 3, 'getenv_ifset'), 'support.function.getenv.baton');
      const comment = lines[3].find((t) => t.text.includes('left out'));
      assert.ok(comment);
      assertScope(comment, 'comment.line.number-sign');
      assertScope(tokenAt(lines, 4, 'host'), 'variable.other.placeholder.baton');
      assertScope(tokenAt(lines, 4, 'host'), 'string.unquoted.getenv-default.baton');
      assertNoScope(tokenAt(lines, 5, 'getenvironment'), 'support.function.getenv.baton');
    });

    it('tokenizes comments, whole-line and trailing, and nothing Baton inside them', () => {
      const lines = tokenize(grammar, '# order: start boot getenv {name}\nbackend: local  # or kubernetes');
      assert.ok(lines[0].every((t) => hasScope(t, 'comment.line.number-sign')), lines[0].map((t) => t.scopes.join(' ')).join('\n'));
      assert.ok(lines[0].every((t) => !t.scopes.slice(1).some((s) => s.endsWith('.baton'))));
      assertScope(tokenAt(lines, 1, 'local'), 'constant.language.baton');
      assertNoScope(tokenAt(lines, 1, 'local'), 'comment');
      const trailing = lines[1].find((t) => t.text.includes('or kubernetes'));
      assert.ok(trailing);
      assertScope(trailing, 'comment.line.number-sign');
    });

    it('marks durations, and only whole durations', () => {
      const lines = tokenize(grammar, 'timeouts: {default: 30s, boot: 2m, conf: 1m30s, stop: 250ms}\nterminateGrace: 5s\nport: 30\nname: 30sec');
      for (const d of ['30s', '2m', '1m30s', '250ms']) assertScope(tokenAt(lines, 0, d), 'constant.numeric.duration.baton');
      assertScope(tokenAt(lines, 1, '5s'), 'constant.numeric.duration.baton');
      assertNoScope(tokenAt(lines, 2, '30'), 'constant.numeric.duration.baton');
      assertNoScope(tokenAt(lines, 3, '30sec'), 'constant.numeric.duration.baton');
    });

    it('treats apiVersion/kind/metadata/spec as header keys only at the top level', () => {
      const lines = tokenize(grammar, 'apiVersion: baton.dev/v1alpha1\nkind: RunConfig\nspec:\n  kind: other');
      assertScope(tokenAt(lines, 0, 'apiVersion'), 'keyword.other.header.baton');
      assertScope(tokenAt(lines, 0, 'baton.dev/v1alpha1'), 'support.constant.api-version.baton');
      assertScope(tokenAt(lines, 1, 'RunConfig'), 'support.class.kind.baton');
      assertNoScope(tokenAt(lines, 3, 'kind'), 'keyword.other.header.baton');
      assertScope(tokenAt(lines, 3, 'kind'), 'entity.name.tag');
    });

    it('leaves unknown keys as plain YAML keys', () => {
      const lines = tokenize(grammar, 'spec:\n  segmnets: []\n  daq-app: {}');
      for (const k of ['segmnets', 'daq-app']) {
        const t = tokenAt(lines, k === 'segmnets' ? 1 : 2, k);
        assertScope(t, 'entity.name.tag');
        assert.ok(!t.scopes.slice(1).some((s) => s.endsWith('.baton')), t.scopes.join(' '));
      }
    });

    it('tokenizes the whole demo configuration without invalid tokens, and every key line as a key', () => {
      const text = readFileSync(path.join(ROOT, 'examples/demo.baton.yaml'), 'utf8');
      const lines = tokenize(grammar, text);
      const sourceLines = text.split('\n');
      assert.equal(lines.length, sourceLines.length);
      lines.forEach((tokens, i) => {
        assert.equal(tokens.map((t) => t.text).join(''), sourceLines[i], `line ${i + 1} round-trips`);
        for (const t of tokens) assert.ok(!t.scopes.some((s) => s.startsWith('invalid')), `line ${i + 1}: "${t.text}" is ${t.scopes.join(' ')}`);
        const key = /^\s*(?:-\s+)?([A-Za-z_][\w-]*):(?:\s|$)/.exec(sourceLines[i]);
        if (key) assertScope(tokenAt(lines, i, key[1]), 'entity.name.tag');
      });
      assertScope(tokenAt(lines, sourceLines.findIndex((l) => l.trim().startsWith('start:')), 'start'), 'entity.name.function.transition.baton');
    });
  });
}

describe('grammar: the self-sufficient YAML fallback', () => {
  let grammar: IGrammar;
  before(async () => {
    grammar = await loadBatonGrammar();
  });

  it('keeps a block scalar as one string and resumes keys after it', () => {
    const lines = tokenize(grammar, ['execs:', '  sh:', '    script: |', '      start: not a key', '      echo {name}', '    env: {}', 'spec: {}'].join('\n'));
    assertScope(tokenAt(lines, 2, '|'), 'keyword.control.flow.block-scalar');
    const content = lines[3].find((t) => t.text.includes('not a key'));
    assert.ok(content);
    assertScope(content, 'string.unquoted.block');
    assertScope(tokenAt(lines, 4, 'name'), 'variable.other.placeholder.baton');
    assertScope(tokenAt(lines, 5, 'env'), 'support.type.property-name.baton');
    assertScope(tokenAt(lines, 6, 'spec'), 'keyword.other.header.baton');
  });

  it('scopes numbers, booleans, null, anchors, aliases and multi-line flow collections', () => {
    const lines = tokenize(grammar, ['port: 3401', 'privileged: true', 'cwd: null', 'base: &d {a: 1}', 'other: *d', 'args: [', '  "{port}",', ']', 'name: x'].join('\n'));
    assertScope(tokenAt(lines, 0, '3401'), 'constant.numeric.integer');
    assertScope(tokenAt(lines, 1, 'true'), 'constant.language.boolean');
    assertScope(tokenAt(lines, 2, 'null'), 'constant.language.null');
    assertScope(tokenAt(lines, 3, 'd'), 'entity.name.type.anchor');
    assertScope(tokenAt(lines, 4, 'd'), 'variable.other.alias');
    assertScope(tokenAt(lines, 6, 'port'), 'meta.flow.sequence');
    assertScope(tokenAt(lines, 8, 'name'), 'support.type.property-name.baton');
    assertNoScope(tokenAt(lines, 8, 'name'), 'meta.flow.sequence');
  });
});
