// Fails when the import graph of src/ (and media/) has a cycle. A cycle makes load order matter (a module can
// see another's exports before they are defined) and ties modules that should layer into one knot.
// Every import counts, `import type` included: a type-only cycle is as much a knot in the layering, even if it
// costs nothing at load time. Uses TypeScript's own parser over the relative imports; bare specifiers (packages,
// node:) cannot close a cycle in our tree.
//   node scripts/check-import-cycles.mjs [DIR...]   (default: src media)
import ts from 'typescript';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['src', 'media'];

function sourceFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mts|tsx)$/.test(name) && !name.endsWith('.d.ts')) out.push(resolve(path));
  }
  return out;
}

/** The .ts file a relative specifier names (NodeNext style: './x.js' is './x.ts'), or undefined. */
function resolveSpecifier(from, spec) {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(from), spec);
  const candidates = [base.replace(/\.(m?)js$/, '.$1ts'), base, `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => /\.(ts|mts|tsx)$/.test(c) && existsSync(c) && statSync(c).isFile());
}

/** Module specifiers of every import, re-export, dynamic import() and import-type in a file. */
function specifiers(file) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const found = [];
  const visit = (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      found.push(node.arguments[0].text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const files = roots.flatMap((r) => sourceFiles(r));
const edges = new Map(files.map((f) => [f, [...new Set(specifiers(f).map((s) => resolveSpecifier(f, s)).filter(Boolean))]]));

// Tarjan's strongly connected components: every component of more than one file (or a file importing itself) is
// a cycle; one concrete loop through it is printed so the fix is visible.
let index = 0;
const stack = [];
const info = new Map();
const components = [];
function strongConnect(v) {
  info.set(v, { index, low: index, onStack: true });
  index++;
  stack.push(v);
  for (const w of edges.get(v) ?? []) {
    if (!info.has(w)) {
      strongConnect(w);
      info.get(v).low = Math.min(info.get(v).low, info.get(w).low);
    } else if (info.get(w).onStack) {
      info.get(v).low = Math.min(info.get(v).low, info.get(w).index);
    }
  }
  if (info.get(v).low === info.get(v).index) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      info.get(w).onStack = false;
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (edges.get(v) ?? []).includes(v)) components.push(component);
  }
}
for (const f of files) if (!info.has(f)) strongConnect(f);

/** A shortest loop from `start` back to itself inside one component (breadth-first). */
function loopThrough(start, members) {
  const inside = new Set(members);
  const previous = new Map();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift();
    for (const w of edges.get(v) ?? []) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(previous.get(path[0]));
        return [...path, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}

const rel = (f) => relative(process.cwd(), f);
if (components.length) {
  console.error(`import cycles: ${components.length} (in ${roots.join(', ')})`);
  for (const c of components) {
    const sorted = c.map(rel).sort();
    console.error(`  ${sorted.length} files: ${sorted.join(', ')}`);
    console.error(`    for example ${loopThrough(resolve(sorted[0]), c).map(rel).join(' → ')}`);
  }
  process.exit(1);
}
console.log(`import cycles: none among ${files.length} files (${roots.join(', ')})`);
