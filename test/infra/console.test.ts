/**
 * The web console on AWS, from the template: the distribution (origin access control, HTTPS only, the
 * response-headers policy), the console bucket's policy, the user-pool domain and the app client of
 * managed login (authorization code + PKCE for a public client, nothing implicit), the console's URLs,
 * and CORS for the console's origin only, on the HTTP API and on the buckets of the presigned URLs.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { consoleBucketCorsRule } from '#shared/console-cors.ts';
import { APPROVAL_ROUTES } from '#shared/contracts.ts';
import { withConnectSources } from '../../infra/constructs/console.ts';
import { flattenResource, type SynthesisedStack, synthesiseStack } from './synth-stack.ts';

let synth: SynthesisedStack;
let withLocalhost: SynthesisedStack;
beforeAll(() => {
  synth = synthesiseStack();
  withLocalhost = synthesiseStack({ 'dtks:consoleLocalhostPort': 5173 });
});

const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });
const ref = (id: string) => ({ Ref: id });

/** A resource's properties by its construct. */
function propertiesOf(stack: SynthesisedStack, construct: Parameters<SynthesisedStack['logicalId']>[0]) {
  const id = stack.logicalId(construct);
  return stack.template.toJSON().Resources[id].Properties;
}

const distributionId = () => synth.logicalId(synth.stack.console.distribution);
/** `https://<ConsoleDistribution.DomainName>` as flattenResource spells it. */
const consoleOrigin = () => `https://<${distributionId()}.DomainName>`;
const SIGN_IN_DOMAIN = 'https://dtks-<AWS::AccountId>.auth.<AWS::Region>.amazoncognito.com';

describe('the console distribution', () => {
  it('reads the private bucket through origin access control (no OAI), HTTPS only, index.html at the root', () => {
    const oac = Object.entries(synth.template.findResources('AWS::CloudFront::OriginAccessControl'));
    expect(oac).toHaveLength(1);
    const [oacId, control] = oac[0] as [string, { Properties: Record<string, unknown> }];
    expect(control.Properties.OriginAccessControlConfig).toMatchObject({
      OriginAccessControlOriginType: 's3',
      SigningBehavior: 'always',
      SigningProtocol: 'sigv4',
    });
    synth.template.resourceCountIs('AWS::CloudFront::CloudFrontOriginAccessIdentity', 0);
    const config = propertiesOf(synth, synth.stack.console.distribution).DistributionConfig;
    expect(config.DefaultRootObject).toBe('index.html');
    expect(config.Origins).toHaveLength(1);
    expect(config.Origins[0]).toMatchObject({
      DomainName: getAtt(synth.logicalId(synth.stack.console.bucket), 'RegionalDomainName'),
      OriginAccessControlId: getAtt(oacId, 'Id'),
      S3OriginConfig: { OriginAccessIdentity: '' },
    });
    expect(config.DefaultCacheBehavior).toMatchObject({
      ViewerProtocolPolicy: 'redirect-to-https',
      AllowedMethods: ['GET', 'HEAD'],
      ResponseHeadersPolicyId: ref(synth.logicalId(synth.stack.console.responseHeadersPolicy)),
    });
    expect(config.CacheBehaviors).toBeUndefined();
    // Standard logs beside the buckets' access logs.
    expect(config.Logging.Bucket).toEqual(
      getAtt(synth.logicalId(synth.stack.storage.accessLogsBucket), 'RegionalDomainName'),
    );
  });

  it('sends a strict CSP, HSTS, nosniff, no referrer and no framing with every answer', () => {
    const policy = propertiesOf(synth, synth.stack.console.responseHeadersPolicy).ResponseHeadersPolicyConfig;
    const headers = policy.SecurityHeadersConfig;
    const csp = flattenResource(headers.ContentSecurityPolicy.ContentSecurityPolicy);
    expect(headers.ContentSecurityPolicy.Override).toBe(true);
    const directives = Object.fromEntries(
      csp.split(';').map((directive) => {
        const [name, ...sources] = directive.trim().split(/\s+/);
        return [name, sources];
      }),
    );
    expect(directives).toEqual({
      'default-src': ["'self'"],
      'script-src': ["'self'"],
      'style-src': ["'self'"],
      'connect-src': [
        "'self'",
        'https://*.execute-api.<AWS::Region>.amazonaws.com',
        'https://*.s3.<AWS::Region>.amazonaws.com',
        SIGN_IN_DOMAIN,
      ],
      'img-src': ["'self'", 'data:'],
      'object-src': ["'none'"],
      'base-uri': ["'none'"],
      'frame-ancestors': ["'none'"],
      'form-action': ["'self'", SIGN_IN_DOMAIN],
    });
    expect(headers.StrictTransportSecurity).toEqual({
      AccessControlMaxAgeSec: 730 * 24 * 60 * 60,
      IncludeSubdomains: true,
      Override: true,
    });
    expect(headers.ContentTypeOptions).toEqual({ Override: true });
    expect(headers.ReferrerPolicy).toEqual({ ReferrerPolicy: 'no-referrer', Override: true });
    expect(headers.FrameOptions).toEqual({ FrameOption: 'DENY', Override: true });
  });

  it("narrows the page's connect-src to this API, the two buckets and the sign-in domain (a meta CSP in index.html)", () => {
    const page = withConnectSources('<!doctype html>\n<head>\n<title>x</title>\n</head>', [
      "'self'",
      'https://api.example',
      'https://bucket.s3.example',
    ]);
    expect(page).toBe(
      `<!doctype html>\n<head>\n<meta http-equiv="Content-Security-Policy" content="connect-src 'self' https://api.example https://bucket.s3.example">\n<title>x</title>\n</head>`,
    );
    expect(() => withConnectSources('<html></html>', [])).toThrow(/no <head>/);
    // The deployment fills those sources in at deploy time: the API's endpoint, both buckets' regional names.
    const deployments = Object.values(synth.template.findResources('Custom::CDKBucketDeployment'));
    expect(deployments).toHaveLength(1);
    const deployment = deployments[0]?.Properties;
    expect(deployment.DestinationBucketName).toEqual(ref(synth.logicalId(synth.stack.console.bucket)));
    expect(deployment.DistributionId).toEqual(ref(distributionId()));
    const markers = JSON.stringify(deployment.SourceMarkers);
    for (const needed of [
      getAtt(synth.logicalId(synth.stack.approvalsApi.httpApi), 'ApiEndpoint'),
      getAtt(synth.logicalId(synth.stack.storage.proposalsBucket), 'RegionalDomainName'),
      getAtt(synth.logicalId(synth.stack.storage.exportsBucket), 'RegionalDomainName'),
      ref(synth.logicalId(synth.stack.approvalsApi.userPoolClient)),
    ]) {
      expect(markers).toContain(JSON.stringify(needed));
    }
  });
});

describe('the console bucket', () => {
  it('is private, SSE-S3, versioned and access-logged', () => {
    const bucket = propertiesOf(synth, synth.stack.console.bucket);
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
    ]);
    expect(bucket.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.LoggingConfiguration).toEqual({
      DestinationBucketName: ref(synth.logicalId(synth.stack.storage.accessLogsBucket)),
      LogFilePrefix: 'Console/',
    });
    expect(bucket.CorsConfiguration).toBeUndefined();
  });

  it("lets only CloudFront's service principal read it, for this distribution (AWS:SourceArn); everything else is a deny", () => {
    const bucketId = synth.logicalId(synth.stack.console.bucket);
    const policies = Object.values(synth.template.findResources('AWS::S3::BucketPolicy')).filter(
      (policy) => JSON.stringify(policy.Properties.Bucket) === JSON.stringify(ref(bucketId)),
    );
    expect(policies).toHaveLength(1);
    const statements = policies[0]?.Properties.PolicyDocument.Statement as Record<string, unknown>[];
    const allows = statements.filter((statement) => statement.Effect === 'Allow');
    expect(allows).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: 's3:GetObject',
        Resource: { 'Fn::Join': ['', [getAtt(bucketId), '/*']] },
        Condition: {
          StringEquals: {
            'AWS:SourceArn': {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  ref('AWS::Partition'),
                  ':cloudfront::',
                  ref('AWS::AccountId'),
                  ':distribution/',
                  ref(distributionId()),
                ],
              ],
            },
          },
        },
      },
    ]);
    for (const statement of statements.filter((each) => each.Effect !== 'Allow')) {
      expect(statement.Effect).toBe('Deny');
      expect(statement.Condition).toBeDefined(); // TLS only
    }
  });
});

describe('sign-in: managed login with the authorization-code flow and PKCE', () => {
  it('has a Cognito-prefix user-pool domain with the newer managed login, styled for the client', () => {
    const pool = ref(synth.logicalId(synth.stack.approvalsApi.userPool));
    synth.template.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: { 'Fn::Join': ['-', ['dtks', ref('AWS::AccountId')]] },
      ManagedLoginVersion: 2,
      UserPoolId: pool,
    });
    synth.template.hasResourceProperties('AWS::Cognito::ManagedLoginBranding', {
      UserPoolId: pool,
      ClientId: ref(synth.logicalId(synth.stack.approvalsApi.userPoolClient)),
      UseCognitoProvidedValues: true,
    });
    // MFA is kept as the pool has it.
    synth.template.hasResourceProperties('AWS::Cognito::UserPool', { MfaConfiguration: 'ON' });
  });

  it('gives the one app client the code flow only, no secret (a public, PKCE client), short tokens, SRP kept for the CLI', () => {
    const clients = Object.values(synth.template.findResources('AWS::Cognito::UserPoolClient'));
    expect(clients).toHaveLength(1);
    const client = clients[0]?.Properties;
    expect(client.AllowedOAuthFlows).toEqual(['code']);
    expect(client.AllowedOAuthFlowsUserPoolClient).toBe(true);
    expect(client.GenerateSecret).toBe(false);
    expect(client.AllowedOAuthScopes).toEqual(['openid', 'email', 'profile']);
    expect(client.SupportedIdentityProviders).toEqual(['COGNITO']);
    expect(client.ExplicitAuthFlows).toEqual(['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
    expect(client.TokenValidityUnits).toEqual({ AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'minutes' });
    expect(client.IdTokenValidity).toBeLessThanOrEqual(60);
    expect(client.AccessTokenValidity).toBeLessThanOrEqual(60);
    expect(client.RefreshTokenValidity).toBeLessThanOrEqual(12 * 60);
    expect(client.EnableTokenRevocation).toBe(true);
  });

  it('sends the browser back to the console only: its CloudFront URL, and a localhost only when the context asks', () => {
    const urls = (stack: SynthesisedStack) => {
      const client = Object.values(stack.template.findResources('AWS::Cognito::UserPoolClient'))[0]?.Properties;
      return { callback: client.CallbackURLs.map(flattenResource), logout: client.LogoutURLs.map(flattenResource) };
    };
    expect(urls(synth)).toEqual({ callback: [`${consoleOrigin()}/`], logout: [`${consoleOrigin()}/`] });
    expect(urls(withLocalhost)).toEqual({
      callback: [`${consoleOrigin()}/`, 'http://localhost:5173/'],
      logout: [`${consoleOrigin()}/`, 'http://localhost:5173/'],
    });
  });
});

describe("CORS for the console's origin only", () => {
  const apiCors = (stack: SynthesisedStack) =>
    propertiesOf(stack, stack.stack.approvalsApi.httpApi).CorsConfiguration as Record<string, unknown>;

  it("answers the HTTP API's preflights for the console's origin, with its bearer token and the API's methods", () => {
    const cors = apiCors(synth);
    expect((cors.AllowOrigins as unknown[]).map(flattenResource)).toEqual([consoleOrigin()]);
    expect(cors.AllowHeaders).toEqual(['authorization', 'content-type']);
    expect(cors.AllowMethods).toEqual([...new Set(Object.values(APPROVAL_ROUTES).map((route) => route.method))].sort());
    expect(cors.AllowCredentials).toBe(false);
    expect(cors.AllowOrigins).not.toContain('*');
    expect((apiCors(withLocalhost).AllowOrigins as unknown[]).map(flattenResource)).toEqual([
      consoleOrigin(),
      'http://localhost:5173',
    ]);
  });

  it('gives the proposals and exports buckets the console rule (PUT, GET, HEAD; ETag exposed), and no other bucket a rule', () => {
    const expected = consoleBucketCorsRule(['ORIGIN']);
    for (const bucket of [synth.stack.storage.proposalsBucket, synth.stack.storage.exportsBucket]) {
      const rules = propertiesOf(synth, bucket).CorsConfiguration.CorsRules as Record<string, unknown>[];
      expect(rules).toHaveLength(1);
      const rule = rules[0] as Record<string, unknown>;
      expect({ ...rule, AllowedOrigins: (rule.AllowedOrigins as unknown[]).map(flattenResource) }).toEqual({
        Id: expected.id,
        AllowedOrigins: [consoleOrigin()],
        AllowedMethods: ['PUT', 'GET', 'HEAD'],
        AllowedHeaders: expected.allowedHeaders,
        ExposedHeaders: ['ETag'],
        MaxAge: expected.maxAgeSeconds,
      });
    }
    const withCors = Object.entries(synth.template.findResources('AWS::S3::Bucket'))
      .filter(([, bucket]) => bucket.Properties.CorsConfiguration)
      .map(([id]) => id)
      .sort();
    expect(withCors).toEqual(
      [synth.stack.storage.proposalsBucket, synth.stack.storage.exportsBucket]
        .map((bucket) => synth.logicalId(bucket))
        .sort(),
    );
  });
});

describe('outputs', () => {
  it('names the console URL and the sign-in domain', () => {
    synth.template.hasOutput('ConsoleUrl', {
      Value: { 'Fn::Join': ['', ['https://', getAtt(distributionId(), 'DomainName'), '/']] },
    });
    synth.template.hasOutput('SignInDomain', Match.anyValue());
  });
});
