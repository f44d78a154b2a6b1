/** Types of ensure-installed.mjs, for its test. */
export function needsInstall(root: string): boolean;
export function ensureInstalled(root: string, options?: { command?: string; log?: (message: string) => void }): boolean;
export function nodeProblem(version?: string): string | undefined;
