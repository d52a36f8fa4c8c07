import tseslint from 'typescript-eslint';

// The layering of the project, as lint rules (a wrong import fails `npm run lint`, and so CI). ESLint replaces a
// rule's options when a later block matches the same file, so each block below lists every restriction its files
// carry (the engine's "no vscode" is repeated for src/engine/graph).
const noVscode = { name: 'vscode', message: 'src/engine runs outside VS Code; talk to the extension over JSON-RPC.' };
const graphImportsItself = 'src/engine/graph builds and differentiates graphs: it imports only its own files, no model, task, training or other engine code (they import it).';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.e2e/**', '.vscode-test/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The engine runs without VS Code (CLI, forked process): it must never import it.
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [noVscode] }],
    },
  },
  // The graph builder and autodiff know ops, not what is built with them: src/engine/graph imports only its own files
  // (and packages), never the rest of the engine. One block per depth, so "leaving the folder" is one `../` too many.
  {
    files: ['src/engine/graph/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [noVscode],
        patterns: [{ regex: '^\\.\\./', message: graphImportsItself }],
      }],
    },
  },
  {
    files: ['src/engine/graph/ops/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [noVscode],
        patterns: [{ regex: '^\\.\\./\\.\\./', message: graphImportsItself }],
      }],
    },
  },
  {
    // The extension talks to the engine only through the protocol, so the engine can change behind it.
    files: ['src/extension.ts', 'src/client/**/*.ts', 'src/commands/**/*.ts', 'src/features/**/*.ts', 'src/panels/**/*.ts'],
    ignores: ['src/panels/messages.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{
          regex: '^(\\./|(\\.\\./)+)engine/(?!rpc/protocol\\.js$)',
          message: 'The extension side imports from src/engine only its protocol (src/engine/rpc/protocol.ts); anything else the engine does goes over JSON-RPC.',
        }],
      }],
    },
  },
  {
    // The webview scripts run in the webview's browser sandbox, built by their own tsconfig: their only tie to the
    // extension is the message types (src/panels/messages.ts, which may import nothing itself).
    files: ['media/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'Webview scripts run in the browser; the VS Code API is acquireVsCodeApi() (media/lib/vscode.ts).' }],
        patterns: [{
          regex: '^(\\.\\./)+src/(?!panels/messages\\.js$)',
          message: 'Webview scripts import from src/ only the message types (src/panels/messages.ts), never the engine or the extension.',
        }],
      }],
    },
  },
  {
    files: ['src/panels/messages.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'messages.ts is compiled into the webview scripts too: it cannot import VS Code.' }],
        patterns: [{
          regex: '^\\.',
          message: 'messages.ts is compiled into the webview scripts: it imports nothing of ours (the protocol types it mirrors are checked in messages-protocol.ts).',
        }],
      }],
    },
  },
);
