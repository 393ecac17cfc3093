/**
 * Synthesises the DTKS stack for the infra tests. Bundling is skipped (the `aws:cdk:bundling-stacks`
 * context): these tests assert the template, which does not depend on the bundles' contents, and
 * they must not fail because a handler elsewhere is mid-edit. Bundling itself is covered by
 * dtks-function.test.ts and by `npm run synth`.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { DtksStack } from '../../infra/stack.ts';

export interface SynthesisedStack {
  stack: DtksStack;
  template: Template;
  /** The template's logical id of a construct's CloudFormation resource. */
  logicalId(construct: IConstruct): string;
}

/**
 * A stand-in for the built console (web/build.ts), for the same reason bundling is skipped: the template
 * does not depend on the page's code. The real build is exercised by `npm run synth` and the browser suite.
 */
export function consoleStandIn(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dtks-console-test-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html>\n<html lang="id">\n<head>\n<title>Konsol DTKS</title>\n</head>\n<body></body>\n</html>\n',
  );
  writeFileSync(join(dir, 'assets', 'app.js'), 'export {};\n');
  return dir;
}

export function synthesiseStack(context: Record<string, unknown> = {}): SynthesisedStack {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new DtksStack(app, 'Dtks', { consoleAssets: consoleStandIn() });
  const template = Template.fromStack(stack);
  const logicalId = (construct: IConstruct) => {
    const element = (construct.node.defaultChild ?? construct) as IConstruct & { logicalId: string };
    return Stack.of(construct).resolve(element.logicalId) as string;
  };
  return { stack, template, logicalId };
}

/** A policy Resource entry flattened the way cdk-nag prints it: `<LogicalId.Arn>/staging/*`, `<LogicalId>` for Ref. */
export function flattenResource(resource: unknown): string {
  if (typeof resource === 'string') return resource;
  const value = resource as Record<string, unknown>;
  if ('Ref' in value) return `<${String(value.Ref)}>`;
  if ('Fn::GetAtt' in value) {
    const [id, attribute] = value['Fn::GetAtt'] as [string, string];
    return `<${id}.${attribute}>`;
  }
  if ('Fn::Join' in value) {
    const [separator, parts] = value['Fn::Join'] as [string, unknown[]];
    return parts.map(flattenResource).join(separator);
  }
  if ('Fn::Sub' in value) return String(value['Fn::Sub']);
  return JSON.stringify(resource);
}

export interface PolicyStatementJson {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

export const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
