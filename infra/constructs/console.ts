/**
 * The web console on AWS: its built files (web/build.ts, built by infra/app.ts before the stack) in a
 * private bucket behind CloudFront, read through origin access control, HTTPS only, with a
 * response-headers policy (a strict Content-Security-Policy, HSTS, nosniff, no referrer, no framing).
 * `deploy` puts the files there with config.json beside them (the API's URL and the managed login's
 * settings, deploy-time values) and gives the buckets of the presigned URLs the console's CORS rule.
 *
 * The CSP names the API and the buckets exactly, in two parts, because CloudFormation cannot have it
 * in one: the API's and the buckets' CORS name the distribution's domain, so the distribution (and its
 * response-headers policy) cannot name the API or the buckets back. The header's connect-src allows
 * HTTPS to API Gateway and S3 of the stack's region and to the user-pool domain; the page's own
 * <meta http-equiv="Content-Security-Policy">, written into index.html at deployment, narrows it to
 * this API and these two buckets. A browser enforces both policies, so a request must pass each.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { type BucketCorsRule, consoleBucketCorsRule } from '#shared/console-cors.ts';
import { acknowledge, acknowledgeCdkProvider, acknowledgeWildcard, arnReference } from './acknowledge.ts';

export interface ConsoleProps {
  /** The built console: index.html and assets/ (web/build.ts `buildConsole`). */
  readonly assetsDirectory: string;
  /** Where the bucket's S3 access logs and the distribution's standard logs go (ACLs enabled: CloudFront's logs need them). */
  readonly serverAccessLogsBucket: s3.IBucket;
  /** The user-pool domain, `https://<prefix>.auth.<region>.amazoncognito.com`: the CSP's form-action and connect-src. */
  readonly cognitoDomainUrl: string;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

export interface ConsoleDeployment {
  /** The approvals HTTP API's endpoint, `https://<id>.execute-api.<region>.amazonaws.com` (no trailing slash). */
  readonly apiUrl: string;
  readonly cognito: {
    readonly domainUrl: string;
    readonly clientId: string;
    readonly scopes: readonly string[];
  };
  /** The buckets the API's presigned URLs name (uploads, reports, exports): the console's CORS rule, and the page's connect-src. */
  readonly presignedBuckets: readonly s3.Bucket[];
  /** Every origin the console is served from: the distribution's, and a developer's localhost if asked for. */
  readonly origins: readonly string[];
}

/** The CSP directives of the response-headers policy; connect-src is narrowed further by the page (above). */
export function consoleContentSecurityPolicy(cognitoDomainUrl: string, region: string = Aws.REGION): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `connect-src 'self' https://*.execute-api.${region}.amazonaws.com https://*.s3.${region}.amazonaws.com ${cognitoDomainUrl}`,
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    `form-action 'self' ${cognitoDomainUrl}`,
  ].join('; ');
}

/** The built index.html with the page's own CSP first in <head>: connect-src narrowed to `sources`. */
export function withConnectSources(index: string, sources: readonly string[]): string {
  if (!index.includes('<head>')) throw new Error('the console’s index.html has no <head>');
  return index.replace(
    '<head>',
    `<head>\n<meta http-equiv="Content-Security-Policy" content="connect-src ${sources.join(' ')}">`,
  );
}

/** The CORS rule of console-cors.ts in CDK's terms. */
export function toCdkCorsRule(rule: BucketCorsRule): s3.CorsRule {
  return {
    id: rule.id,
    allowedOrigins: rule.allowedOrigins,
    allowedMethods: rule.allowedMethods.map((method) => s3.HttpMethods[method]),
    allowedHeaders: rule.allowedHeaders,
    exposedHeaders: rule.exposedHeaders,
    maxAge: rule.maxAgeSeconds,
  };
}

export class Console extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly distribution: cloudfront.Distribution;
  public readonly responseHeadersPolicy: cloudfront.ResponseHeadersPolicy;
  /** `https://<distribution domain>`: the console's origin (CORS, the app client's URLs). */
  public readonly origin: string;
  /** `https://<distribution domain>/`: the sign-in callback and the sign-out address. */
  public readonly url: string;
  private readonly assetsDirectory: string;

  constructor(scope: Construct, id: string, props: ConsoleProps) {
    super(scope, id);
    this.assetsDirectory = props.assetsDirectory;
    // Fails at synth, not at deployment, when the build wrote no page to put the CSP in.
    withConnectSources(readFileSync(join(props.assetsDirectory, 'index.html'), 'utf8'), []);

    // SSE-S3, not the stack's key: the files are the public page's code, no personal data, and reading
    // them through CloudFront would otherwise give CloudFront's service principal kms:Decrypt on the key
    // that protects NIKs and names.
    this.bucket = new s3.Bucket(this, 'Assets', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      serverAccessLogsPrefix: `${id}/`,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'ExpireReplacedVersions',
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });

    this.responseHeadersPolicy = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'DTKS console: strict CSP (own origin, the API, S3 and the user-pool domain), HSTS, no framing',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: consoleContentSecurityPolicy(props.cognitoDomainUrl),
          override: true,
        },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(730),
          includeSubdomains: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        // The page's URLs (a proposal's id, a sign-in code) are nobody else's business.
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
      },
      customHeadersBehavior: {
        customHeaders: [
          { header: 'Cross-Origin-Opener-Policy', value: 'same-origin', override: true },
          {
            header: 'Permissions-Policy',
            value: 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
            override: true,
          },
        ],
      },
    });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'DTKS web console',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.responseHeadersPolicy,
        compress: true,
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      // Edge locations in Asia included (Indonesia's users), the most expensive regions left out.
      priceClass: cloudfront.PriceClass.PRICE_CLASS_200,
      enableLogging: true,
      logBucket: props.serverAccessLogsBucket,
      logFilePrefix: `${id}-cloudfront/`,
    });
    acknowledge(
      this.distribution,
      'CFR1',
      'The distribution serves the console’s static code only, no data: geo-blocking it would protect nothing and would lock out officials working abroad, while every call to the API is authenticated and authorised.',
    );
    acknowledge(
      this.distribution,
      'CFR2',
      'Static files only, read-only (GET/HEAD) from a private bucket; a WAF web ACL for CloudFront must live in us-east-1, which this environment-agnostic, single-region stack cannot hold. The API behind the console is throttled per stage and route.',
    );
    acknowledge(
      this.distribution,
      'CFR4',
      'The console is served on its *.cloudfront.net domain with CloudFront’s default certificate, whose TLS policy CloudFront fixes; TLSv1.2_2021 as the minimum needs a custom domain with its ACM certificate in us-east-1, which this single-region stack does not hold. Browsers negotiate TLS 1.2 or 1.3 with CloudFront, and HSTS keeps them on HTTPS.',
    );

    this.origin = `https://${this.distribution.distributionDomainName}`;
    this.url = `${this.origin}/`;
  }

  /**
   * Deploys the files with config.json and the page's CSP (deploy-time values), invalidates the two
   * files that are not content-hashed, and gives the presigned URLs' buckets the console's CORS rule.
   */
  deploy(deployment: ConsoleDeployment): s3deploy.BucketDeployment {
    for (const bucket of deployment.presignedBuckets) {
      bucket.addCorsRule(toCdkCorsRule(consoleBucketCorsRule(deployment.origins)));
    }
    const connectSources = [
      "'self'",
      deployment.apiUrl,
      ...deployment.presignedBuckets.map((bucket) => `https://${bucket.bucketRegionalDomainName}`),
      deployment.cognito.domainUrl,
    ];
    const index = withConnectSources(readFileSync(join(this.assetsDirectory, 'index.html'), 'utf8'), connectSources);
    const config = {
      mode: 'cognito',
      apiUrl: deployment.apiUrl,
      cognito: {
        domain: deployment.cognito.domainUrl,
        clientId: deployment.cognito.clientId,
        redirectUri: this.url,
        logoutUri: this.url,
        scopes: deployment.cognito.scopes,
      },
    };
    const logGroup = new logs.LogGroup(this, 'DeploymentLogs', { retention: logs.RetentionDays.ONE_YEAR });
    const files = new s3deploy.BucketDeployment(this, 'Files', {
      destinationBucket: this.bucket,
      sources: [
        s3deploy.Source.asset(this.assetsDirectory, { exclude: ['index.html'] }),
        s3deploy.Source.data('index.html', index),
        s3deploy.Source.jsonData('config.json', config),
      ],
      // Revalidated on every load (ETag, 304): a page and config.json from an older deployment would name
      // assets that pruning removed.
      cacheControl: [s3deploy.CacheControl.noCache()],
      distribution: this.distribution,
      distributionPaths: ['/', '/index.html', '/config.json'],
      logGroup,
      memoryLimit: 256,
    });
    const provider = acknowledgeCdkProvider(
      this,
      'Custom::CDKBucketDeployment',
      "copies the console's files into its bucket",
    );
    if (provider) {
      // Its role's grants are CDK's own (Source.asset's grantRead, the destination's grantReadWrite, the
      // invalidation); each wildcard is named here with what it reaches.
      const copying =
        "CDK's BucketDeployment provider, run only while CloudFormation deploys: it reads the console's zipped files from the CDK assets bucket and syncs them into the console bucket (CDK's grantRead/grantReadWrite action groups).";
      for (const action of ['s3:GetBucket*', 's3:GetObject*', 's3:List*', 's3:Abort*', 's3:DeleteObject*']) {
        acknowledgeWildcard(provider, `Action::${action}`, copying);
      }
      acknowledgeWildcard(
        provider,
        'Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*',
        `${copying} The assets bucket is the CDK bootstrap's; the objects are named by content hash at synth.`,
      );
      acknowledgeWildcard(
        provider,
        `Resource::${arnReference(this.bucket)}/*`,
        `${copying} Pruning deletes files of older deployments, whose names (content hashes) it learns by listing.`,
      );
      acknowledgeWildcard(
        provider,
        'Resource::*',
        "CDK's BucketDeployment provider invalidates index.html and config.json after a deployment (cloudfront:CreateInvalidation, GetInvalidation), which CDK grants on every distribution.",
      );
      acknowledge(
        provider,
        'L1',
        "CDK's BucketDeployment provider picks its own Lambda runtime (it bundles the AWS CLI for that runtime); it runs only while CloudFormation deploys the console.",
      );
    }
    return files;
  }
}
