/**
 * compose.yaml cannot run here (no container runtime), so this keeps it from rotting silently: it
 * parses, its replicas run the built CLI against the Redis service with the flags the README gives,
 * Redis keeps its append-only file, and the load balancer sends traffic to every replica.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { buildProgram } from '../../src/cli/main';

const root = path.resolve(__dirname, '../..');
const text = readFileSync(path.join(root, 'compose.yaml'), 'utf8');

interface Service {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }> | string[];
  configs?: { source: string; target: string }[];
  ports?: string[];
}
const compose = parse(text, { merge: true }) as { services: Record<string, Service>; configs: Record<string, { content: string }> };
const replicas = Object.entries(compose.services).filter(([, s]) => s.command?.includes('dist/cli/main.js'));

it('says at the top that it is not tested here', () => {
  expect(text.split('\n').slice(0, 5).join('\n')).toMatch(/NOT TESTED HERE/);
});

it('has three replicas, each serving the one Redis service on all interfaces, with the admin token from the environment', () => {
  expect(replicas.map(([name]) => name)).toEqual(['authdouble-1', 'authdouble-2', 'authdouble-3']);
  expect(compose.services.redis).toBeDefined();
  for (const [, replica] of replicas) {
    const args = replica.command!.slice(replica.command!.indexOf('dist/cli/main.js') + 1);
    const flag = (name: string) => args[args.indexOf(name) + 1];
    expect(args[0]).toBe('serve');
    expect(flag('--store')).toBe('redis://redis:6379');
    expect(flag('--host')).toBe('0.0.0.0');
    expect(replica.environment?.AUTHDOUBLE_ADMIN_TOKEN).toMatch(/^\$\{AUTHDOUBLE_ADMIN_TOKEN:\?/);
    expect(replica.depends_on).toEqual({ redis: { condition: 'service_healthy' } });
    // The CLI of this checkout accepts these flags (an option renamed here would break the file).
    const program = buildProgram();
    const serve = program.commands.find((c) => c.name() === 'serve')!;
    const known = serve.options.map((o) => o.long);
    for (const arg of args.filter((a) => a.startsWith('--'))) expect(known).toContain(arg);
  }
});

it('runs Redis with the append-only file and an eviction policy that keeps entries without a TTL', () => {
  const command = compose.services.redis!.command!.join(' ');
  expect(command).toMatch(/--appendonly yes/);
  expect(command).toMatch(/--appendfsync everysec/);
  expect(command).toMatch(/--maxmemory-policy volatile-lru/);
});

it('puts nginx in front of every replica, WebSocket upgrades included', () => {
  const lb = compose.services.lb!;
  expect(lb.ports).toEqual(['4600:4600']);
  const config = compose.configs[lb.configs![0]!.source]!.content;
  for (const [name] of replicas) expect(config).toContain(`server ${name}:4600`);
  expect(config).toMatch(/proxy_set_header Upgrade \$\$http_upgrade/);
});
