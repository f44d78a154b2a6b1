/** Types of nginx-lb.mjs, for the cluster tests. */
export interface LoadBalancerNode {
  name: string;
  address: string;
}
export function findNginx(): string | undefined;
export function nginxSite(options: { nodes: LoadBalancerNode[]; listen: string }): string;
export function nginxConfig(options: { nodes: LoadBalancerNode[]; listen: string; prefix: string }): string;
export function startLoadBalancer(options: {
  nodes: LoadBalancerNode[];
  log?: (message: string) => void;
}): Promise<{ url: string; port: number; pid: number | undefined; config: string; stop(): Promise<void> } | undefined>;
