/**
 * Approvals API: an HTTP API behind a Cognito JWT authorizer, every route served by the approvals-api
 * function (which checks role and area from the token's claims). The function may answer task tokens
 * of the proposal workflow only; tokens never leave DynamoDB and the function.
 *
 * Approvers sign in to the web console through the user pool's managed login (a Cognito-prefix domain):
 * the authorization-code flow with PKCE for a public client, back to the console's URL only; the CLI
 * keeps SRP on the same client. The HTTP API answers cross-origin calls from the console's origin only.
 *
 * The same API serves the public self-registration routes (REGISTRATION_ROUTES) without an authorizer,
 * through their own function (registrations-api) and with their own, lower throttling per route.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { CONSOLE_API_CORS } from '#shared/console-cors.ts';
import { APPROVAL_ROUTES, CLAIM_NAMES, REGISTRATION_ROUTES, registrationRouteKeyOf } from '#shared/contracts.ts';
import { acknowledge } from './acknowledge.ts';
import type { DtksFunction } from './dtks-function.ts';

/** What the console's sign-in asks for: the ID token's identity, e-mail and profile claims. */
export const CONSOLE_SCOPES = ['openid', 'email', 'profile'] as const;

/** The address of a Cognito-prefix user-pool domain, as UserPoolDomain.baseUrl() answers it. */
export function cognitoDomainUrl(domainPrefix: string, region: string): string {
  return `https://${domainPrefix}.auth.${region}.amazoncognito.com`;
}

export interface ApprovalsConsoleProps {
  /** The console's sign-in callback and sign-out addresses (`https://<distribution>/`, a developer's localhost if asked for). */
  readonly urls: readonly string[];
  /** The origins the HTTP API answers cross-origin calls from: the console's, nothing else. */
  readonly origins: readonly string[];
  /** The user-pool domain's prefix (`<prefix>.auth.<region>.amazoncognito.com`), unique in the region. */
  readonly domainPrefix: string;
}

export interface ApprovalsApiProps {
  /** The web console: its managed login and its CORS origin. */
  readonly console: ApprovalsConsoleProps;
  readonly handler: DtksFunction;
  /** Serves the public self-registration routes (no authorizer). */
  readonly registrationsHandler: DtksFunction;
  /** Steady-state requests per second on each public registration route, all clients together. @default 10 */
  readonly registrationRateLimit?: number;
  /** @default 20 */
  readonly registrationBurstLimit?: number;
  /** The workflow whose approval tasks the API answers (SendTaskSuccess / SendTaskFailure). */
  readonly proposalWorkflow: sfn.IStateMachine;
  /** Steady-state requests per second over all routes. @default 50 */
  readonly rateLimit?: number;
  /** @default 100 */
  readonly burstLimit?: number;
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly accessLogRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

export class ApprovalsApi extends Construct {
  public readonly userPool: cognito.UserPool;
  public readonly userPoolClient: cognito.UserPoolClient;
  /** Managed login, the console's sign-in: a Cognito-prefix domain. */
  public readonly userPoolDomain: cognito.UserPoolDomain;
  public readonly httpApi: apigw.HttpApi;
  public readonly stage: apigw.HttpStage;
  public readonly accessLogGroup: logs.LogGroup;
  /** The self-registration routes, without authorizer. */
  public readonly publicRoutes: apigw.HttpRoute[];

  constructor(scope: Construct, id: string, props: ApprovalsApiProps) {
    super(scope, id);

    // Approvers are created by the ministry operator (no self sign-up); role and area are set by
    // administrators only: the app client cannot write them (writeAttributes below).
    this.userPool = new cognito.UserPool(this, 'Approvers', {
      selfSignUpEnabled: false,
      signInAliases: { username: true, email: true },
      customAttributes: {
        [CLAIM_NAMES.role.replace('custom:', '')]: new cognito.StringAttribute({
          minLen: 1,
          maxLen: 32,
          mutable: true,
        }),
        [CLAIM_NAMES.area.replace('custom:', '')]: new cognito.StringAttribute({ minLen: 2, maxLen: 4, mutable: true }),
      },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    // One public client (no secret: a browser and a terminal cannot keep one): the CLI signs in with SRP,
    // the console with managed login, authorization code + PKCE only (no implicit flow: tokens never in
    // a URL), back to the console's own addresses. Short tokens; the refresh token lasts a working day.
    this.userPoolClient = this.userPool.addClient('ApprovalsClient', {
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: [...props.console.urls],
        logoutUrls: [...props.console.urls],
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      generateSecret: false,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
      readAttributes: new cognito.ClientAttributes()
        .withStandardAttributes({ email: true, preferredUsername: true })
        .withCustomAttributes('role', 'area'),
      writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ preferredUsername: true }),
    });

    // Managed login (the newer pages, with MFA setup and sign-in as the pool requires), styled with
    // Cognito's own defaults for the console's client.
    this.userPoolDomain = this.userPool.addDomain('ManagedLogin', {
      cognitoDomain: { domainPrefix: props.console.domainPrefix },
      managedLoginVersion: cognito.ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });
    new cognito.CfnManagedLoginBranding(this, 'ManagedLoginBranding', {
      userPoolId: this.userPool.userPoolId,
      clientId: this.userPoolClient.userPoolClientId,
      useCognitoProvidedValues: true,
    }).node.addDependency(this.userPoolDomain);

    const authorizer = new HttpJwtAuthorizer(
      'CognitoJwt',
      `https://cognito-idp.${this.userPool.stack.region}.amazonaws.com/${this.userPool.userPoolId}`,
      { jwtAudience: [this.userPoolClient.userPoolClientId] },
    );

    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      description: 'DTKS approvals: pending tasks, proposal check summaries, decisions',
      createDefaultStage: false,
      defaultAuthorizer: authorizer,
      // The console's origin only; the bearer token travels in Authorization, so no credentials (cookies).
      corsPreflight: {
        allowOrigins: [...props.console.origins],
        allowHeaders: [...CONSOLE_API_CORS.allowedHeaders],
        allowMethods: CONSOLE_API_CORS.allowedMethods.map((method) => apigw.CorsHttpMethod[method]),
        allowCredentials: false,
        maxAge: Duration.seconds(CONSOLE_API_CORS.maxAgeSeconds),
      },
    });
    const integration = new HttpLambdaIntegration('ApprovalsHandler', props.handler);
    // The routes of contracts.ts, which the handler dispatches on and the local server serves.
    for (const { path, method } of Object.values(APPROVAL_ROUTES)) {
      this.httpApi.addRoutes({ path, methods: [apigw.HttpMethod[method]], integration });
    }
    // Self-registration: a citizen has no account, so these two routes alone have no authorizer.
    const registrations = new HttpLambdaIntegration('RegistrationsHandler', props.registrationsHandler);
    this.publicRoutes = Object.values(REGISTRATION_ROUTES).flatMap(({ path, method }) =>
      this.httpApi.addRoutes({
        path,
        methods: [apigw.HttpMethod[method]],
        integration: registrations,
        authorizer: new apigw.HttpNoneAuthorizer(),
      }),
    );
    for (const route of this.publicRoutes) {
      acknowledge(
        route,
        'APIG4',
        'Pendaftaran mandiri (Permensos 3/2021): a citizen registers a family without an account. The route is throttled per route, bodies over 64 KiB are refused, and the receipt lookup answers a status only, the same 404 for a wrong receipt or NIK.',
      );
    }

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.stage = new apigw.HttpStage(this, 'Stage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit ?? 50, burstLimit: props.burstLimit ?? 100 },
      // Route settings cannot be set through the L2 stage: the public routes get their own, lower limits.
      // They apply to all clients together (API Gateway has no per-client throttling without usage plans).

      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        // Who called what and the outcome; no bodies, no tokens.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            user: `$context.authorizer.claims.${CLAIM_NAMES.username}`,
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    });

    const cfnStage = this.stage.node.defaultChild as apigw.CfnStage;
    cfnStage.routeSettings = Object.fromEntries(
      (Object.keys(REGISTRATION_ROUTES) as (keyof typeof REGISTRATION_ROUTES)[]).map((route) => [
        registrationRouteKeyOf(route),
        // RouteSettings is untyped JSON in the L1: CloudFormation's own property names.
        {
          ThrottlingRateLimit: props.registrationRateLimit ?? 10,
          ThrottlingBurstLimit: props.registrationBurstLimit ?? 20,
        },
      ]),
    );
    // Route settings name routes by key: the routes must exist before the stage names them.
    for (const route of this.publicRoutes) this.stage.node.addDependency(route);

    // The API sends decisions with SendTaskSuccess only: never SendTaskFailure or SendTaskHeartbeat.
    props.handler.allowSendTaskSuccess(props.proposalWorkflow);
  }
}
