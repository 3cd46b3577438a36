/**
 * Run as a separate Node process (with tsx) by the run-registry test: takes `count` run
 * numbers from the registry file and prints them as one JSON line.
 * argv: <registryFile> <count>
 */
import { RunRegistry } from '../../../src/core/runs/run-registry';

async function main(): Promise<void> {
  const [file, count] = process.argv.slice(2);
  const registry = new RunRegistry(file);
  const taken: number[] = [];
  for (let i = 0; i < Number(count); i++) taken.push(await registry.next());
  process.stdout.write(JSON.stringify(taken) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
