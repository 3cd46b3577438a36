import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { DOCS_FILE, readSchema, renderConfigDocs } from '../../../scripts/gen-config-docs';

describe('generated run-config reference (docs/run-config.md)', () => {
  it('is up to date with schemas/run-config.schema.json (run `npm run docs` after changing the schema)', () => {
    assert.ok(fs.existsSync(DOCS_FILE), 'docs/run-config.md is missing: run `npm run docs`');
    // Compared whole, not line by line: any drift, even in whitespace, means it was not regenerated.
    assert.ok(fs.readFileSync(DOCS_FILE, 'utf8') === renderConfigDocs(readSchema()), 'docs/run-config.md differs from what the schema generates: run `npm run docs`');
  });

  it('has an entry for every property the schema declares', () => {
    const page = fs.readFileSync(DOCS_FILE, 'utf8');
    const headings = new Set([...page.matchAll(/^###? `?([^`\n]+)`?$/gm)].map((m) => m[1]));
    const missing: string[] = [];
    const walk = (at: string, s: Record<string, unknown>) => {
      for (const [name, p] of Object.entries((s.properties as Record<string, Record<string, unknown>>) ?? {})) {
        const key = at ? `${at}.${name}` : name;
        if (!headings.has(key)) missing.push(key);
        if (!p.$ref) walk(key, p);
        const items = p.items as Record<string, unknown> | undefined;
        if (items && !items.$ref) walk(`${key}[]`, items);
      }
    };
    const schema = readSchema() as unknown as Record<string, unknown>;
    walk('', schema);
    for (const [name, def] of Object.entries(schema.definitions as Record<string, Record<string, unknown>>)) {
      if (!headings.has(name)) missing.push(name);
      walk(name, def);
      const items = def.items as Record<string, unknown> | undefined;
      if (items && !items.$ref) walk(`${name}[]`, items);
    }
    assert.deepEqual(missing, []);
  });

  it('shows types, defaults, allowed values and the schema\'s examples', () => {
    const page = fs.readFileSync(DOCS_FILE, 'utf8');
    const entry = (name: string) => page.slice(page.indexOf(`### \`${name}\``)).split(/\n###? /)[0];
    assert.match(entry('spec.backend'), /\*\*Default:\*\* `"local"`/);
    assert.match(entry('spec.backend'), /\*\*Allowed values:\*\* `local`, `kubernetes`/);
    assert.match(entry('app.port'), /\*\*Range:\*\* 1 to 65535/);
    assert.match(entry('spec.segments'), /\[segments\]\(#segments\)/);
    assert.match(entry('spec.hosts'), /```yaml\nhosts: \{daq-01/);
    const withExample = renderConfigDocs({ properties: { x: { type: 'string', description: 'An x.', examples: ['abc'] } } });
    assert.match(withExample, /Example:\n\n```yaml\nabc\n```/);
  });
});
