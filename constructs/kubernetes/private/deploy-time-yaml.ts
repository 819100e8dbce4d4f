import { Token } from 'aws-cdk-lib';
import * as cdk8s from 'cdk8s';

/** Stands for one deploy-time value while the YAML is written; never part of a real manifest. */
const PLACEHOLDER = '__modelfleet_deploy_time_value_';

/**
 * Writes Kubernetes objects as multi-document YAML whose deploy-time values (CDK tokens) stay tokens, for
 * `s3deploy.Source.data(key, text, { jsonEscape: true })`: the BucketDeployment function substitutes them at
 * deployment with JSON escaping (`UNQUOTED_JSON_VALUE`).
 *
 * So that the substituted text is valid YAML whatever the value: a string holding a token is written as a JSON
 * (= YAML double-quoted) string, the token inside the quotes (its value gets JSON-escaped); a number token is written
 * bare (a number from a CloudFormation parameter is substituted unquoted). Every other value is written by cdk8s's
 * YAML writer exactly as in the synth-time file.
 */
export function deployTimeYaml(objects: readonly unknown[]): string {
  const values: string[] = [];
  const hold = (text: string): string => {
    values.push(text);
    return `${PLACEHOLDER}${values.length - 1}__`;
  };
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') {
      return Token.isUnresolved(value) ? hold(JSON.stringify(value)) : value;
    }
    if (typeof value === 'number') {
      return Token.isUnresolved(value) ? hold(String(value)) : value;
    }
    if (Array.isArray(value)) {
      return value.map(walk);
    }
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [walk(key) as string, walk(item)]));
    }
    return value;
  };
  const held = objects.map(walk);
  return cdk8s.Yaml.stringify(...held)
    .replace(new RegExp(`${PLACEHOLDER}(\\d+)__`, 'g'), (_match, index: string) => values[Number(index)]);
}
