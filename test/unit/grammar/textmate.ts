import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as oniguruma from 'vscode-oniguruma';
import * as vsctm from 'vscode-textmate';

export const GRAMMAR_FILE = path.resolve(__dirname, '../../../syntaxes/baton.tmLanguage.json');

export interface Token {
  text: string;
  scopes: string[];
}

let registryPromise: Promise<vsctm.Registry> | undefined;

/**
 * The registry VS Code itself uses (vscode-textmate on the Oniguruma wasm), so the tests
 * exercise the same regex dialect and injection rules as the editor. `extra` lets a test
 * supply other grammars by scope name (e.g. a stand-in for source.yaml); by default
 * source.yaml is unknown, which is the "YAML extension absent" case.
 */
export function registry(extra: Record<string, unknown> = {}): Promise<vsctm.Registry> {
  const make = async () => {
    const wasm = readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
    await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer);
    return new vsctm.Registry({
      onigLib: Promise.resolve({
        createOnigScanner: (sources: string[]) => new oniguruma.OnigScanner(sources),
        createOnigString: (s: string) => new oniguruma.OnigString(s),
      }),
      loadGrammar: async (scopeName: string) => {
        if (scopeName === 'source.baton') return vsctm.parseRawGrammar(readFileSync(GRAMMAR_FILE, 'utf8'), GRAMMAR_FILE);
        const raw = extra[scopeName];
        return raw === undefined ? null : vsctm.parseRawGrammar(JSON.stringify(raw), `${scopeName}.json`);
      },
    });
  };
  if (Object.keys(extra).length > 0) return make();
  registryPromise ??= make();
  return registryPromise;
}

export async function loadBatonGrammar(reg?: vsctm.Registry): Promise<vsctm.IGrammar> {
  const grammar = await (reg ?? (await registry())).loadGrammar('source.baton');
  if (!grammar) throw new Error('source.baton did not load');
  return grammar;
}

/** Tokenizes a whole document line by line, carrying the rule stack across lines. */
export function tokenize(grammar: vsctm.IGrammar, text: string): Token[][] {
  let state = vsctm.INITIAL;
  return text.split(/\r?\n/).map((line) => {
    const r = grammar.tokenizeLine(line, state);
    state = r.ruleStack;
    return r.tokens.map((t) => ({ text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes }));
  });
}
