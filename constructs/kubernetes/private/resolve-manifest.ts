import { Stack, Token } from 'aws-cdk-lib';
import { RegionInfo } from 'aws-cdk-lib/region-info';

/** The outcome of resolving CDK tokens in Kubernetes objects at synth. */
export interface ResolvedManifest {
  /** The objects with every token that resolves to a literal replaced by it. */
  readonly objects: unknown[];
  /** Where a value stays unresolved until deployment, as `Kind/name: json.path`. */
  readonly unresolved: string[];
}

/**
 * Replaces the CDK tokens in Kubernetes objects by their values when they are known at synth, and lists where a
 * value is only known at deployment (a `Ref` to a resource, `Fn::GetAtt`, an unknown account or region...).
 *
 * With a concrete region, `AWS::URLSuffix` and `AWS::Partition` are known too (from the region facts), so an asset
 * image's URI (`<account>.dkr.ecr.<region>.<url suffix>/<repository>:<hash>`) resolves in a stack with a concrete env.
 */
export function resolveManifest(stack: Stack, objects: readonly unknown[]): ResolvedManifest {
  const unresolved: string[] = [];
  const region = Token.isUnresolved(stack.region) ? undefined : RegionInfo.get(stack.region);
  const pseudo: Record<string, string | undefined> = {
    'AWS::URLSuffix': region?.domainSuffix,
    'AWS::Partition': region?.partition,
    'AWS::Region': region ? stack.region : undefined,
    'AWS::AccountId': Token.isUnresolved(stack.account) ? undefined : stack.account,
  };
  const resolved = objects.map((obj) => {
    const meta = obj as { kind?: string; metadata?: { name?: string } };
    const label = `${meta.kind ?? 'Object'}/${meta.metadata?.name ?? '?'}`;
    return walk(obj, '', (where) => unresolved.push(`${label}: ${where.replace(/^\./, '')}`));
  });
  return { objects: resolved, unresolved };

  function walk(value: unknown, where: string, report: (where: string) => void): unknown {
    if (typeof value === 'string' || typeof value === 'number') {
      if (!Token.isUnresolved(value)) {
        return value;
      }
      const literal = fold(stack.resolve(value));
      if (literal === undefined) {
        report(where);
        return value;
      }
      return literal;
    }
    if (Array.isArray(value)) {
      return value.map((item, i) => walk(item, `${where}[${i}]`, report));
    }
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item, `${where}.${key}`, report)]));
    }
    return value;
  }

  /** A literal for a resolved CloudFormation value made only of literals and known pseudo parameters. */
  function fold(value: unknown): string | number | undefined {
    if (typeof value === 'string' || typeof value === 'number') {
      return value;
    }
    if (value === null || typeof value !== 'object') {
      return undefined;
    }
    const intrinsic = value as { Ref?: unknown; 'Fn::Join'?: unknown; 'Fn::Sub'?: unknown };
    if (typeof intrinsic['Fn::Sub'] === 'string') {
      let complete = true;
      const text = intrinsic['Fn::Sub'].replace(/\$\{([^}]*)\}/g, (_match, name: string) => {
        const known = pseudo[name];
        complete = complete && known !== undefined;
        return known ?? '';
      });
      return complete ? text : undefined;
    }
    if (typeof intrinsic.Ref === 'string' && Object.keys(value).length === 1) {
      return pseudo[intrinsic.Ref];
    }
    const join = intrinsic['Fn::Join'];
    if (Array.isArray(join) && join.length === 2 && typeof join[0] === 'string' && Array.isArray(join[1])) {
      const parts = join[1].map(fold);
      return parts.every((p) => p !== undefined) ? parts.join(join[0]) : undefined;
    }
    return undefined;
  }
}
