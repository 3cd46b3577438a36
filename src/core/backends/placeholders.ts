/**
 * Placeholder expansion for exec arguments and environment values:
 * `{name}`, `{host}`, `{port}`, `{session}` (or whatever keys the caller provides).
 * `{{` and `}}` stand for literal braces. Anything else in braces is an error rather than
 * being passed through, because a typo such as `{prot}` would otherwise reach the
 * application as literal text and fail far from its cause.
 */
export function expandPlaceholders(
  template: string,
  vars: Record<string, string | number>,
  where?: string,
): string {
  const at = where ?? `"${template}"`;
  let out = '';
  let i = 0;
  while (i < template.length) {
    const c = template[i];
    if (c === '{') {
      if (template[i + 1] === '{') {
        out += '{';
        i += 2;
        continue;
      }
      const close = template.indexOf('}', i + 1);
      if (close < 0) {
        throw new Error(`${at}: unterminated placeholder at offset ${i} (write {{ for a literal brace)`);
      }
      const key = template.slice(i + 1, close);
      if (!Object.prototype.hasOwnProperty.call(vars, key)) {
        const known = Object.keys(vars).join(', ');
        throw new Error(`${at}: unknown placeholder {${key}}; known: ${known || '(none)'}`);
      }
      out += String(vars[key]);
      i = close + 1;
    } else if (c === '}') {
      if (template[i + 1] !== '}') {
        throw new Error(`${at}: unmatched } at offset ${i} (write }} for a literal brace)`);
      }
      out += '}';
      i += 2;
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

/** The placeholder names used in a template (escapes skipped); for validators and hovers. */
export function placeholdersIn(template: string): string[] {
  const names: string[] = [];
  const re = /\{\{|\}\}|\{([^{}]*)\}/g;
  for (let m = re.exec(template); m; m = re.exec(template)) {
    if (m[1] !== undefined) names.push(m[1]);
  }
  return names;
}
