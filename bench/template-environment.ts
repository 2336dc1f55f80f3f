/**
 * Each packaged function's environment, read from the CloudFormation template `serverless package`
 * wrote: the variable names the template gives that function, with placeholder values where the
 * template has an intrinsic (a Ref, Fn::Sub, Fn::GetAtt) that only CloudFormation can resolve.
 * Nothing is ever called with them: they only let a bundle load and check its settings, as a
 * deployed function does at cold start. Read from the template, so a new setting cannot leave a
 * bench behind.
 */
type Template = { Parameters?: Record<string, { Default?: unknown }>; Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const PSEUDO_PARAMETERS: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': REGION,
  'AWS::AccountId': ACCOUNT,
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'fargate-jobs-bench',
};

/** What the Lambda runtime adds to every function's environment (placeholders: nothing is called). */
export const RUNTIME_ENVIRONMENT = { AWS_REGION: REGION, AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench' };

/** Each function's environment by the name of its package (`createJob` for createJob.zip). */
export function functionEnvironments(template: Template): Map<string, Record<string, string>> {
  const environments = new Map<string, Record<string, string>>();
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const key = String((resource.Properties?.Code as { S3Key?: unknown } | undefined)?.S3Key ?? '');
    const name = /([^/]+)\.zip$/.exec(key)?.[1];
    if (name === undefined) continue;
    const variables = ((resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {});
    environments.set(name, Object.fromEntries(Object.entries(variables).map(([variable, value]) => [variable, placeholder(template, value)])));
  }
  return environments;
}

function placeholder(template: Template, value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  const intrinsic = value as Record<string, unknown>;
  if ('Ref' in intrinsic) return refValue(template, String(intrinsic.Ref));
  if ('Fn::Sub' in intrinsic) {
    const text = Array.isArray(intrinsic['Fn::Sub']) ? String(intrinsic['Fn::Sub'][0]) : String(intrinsic['Fn::Sub']);
    return text.replace(/\$\{([^}]+)\}/g, (_match, name: string) => (name.includes('.') ? name.replace('.', '-').toLowerCase() : refValue(template, name)));
  }
  if ('Fn::GetAtt' in intrinsic) {
    const [logicalId = 'resource', attribute = 'Arn'] = intrinsic['Fn::GetAtt'] as string[];
    return attribute === 'Arn' ? `arn:aws:bench:${REGION}:${ACCOUNT}:${logicalId}` : `${logicalId}-${attribute}`.toLowerCase();
  }
  return 'bench';
}

/**
 * What `Ref` gives for the resource, parameter or pseudo parameter: a parameter's default (a stage
 * parameter's value, e.g. TASK_CAPACITY), an ARN for a secret, a name otherwise.
 */
function refValue(template: Template, logicalId: string): string {
  const pseudo = PSEUDO_PARAMETERS[logicalId];
  if (pseudo !== undefined) return pseudo;
  const parameter = template.Parameters?.[logicalId];
  if (parameter?.Default !== undefined) return String(parameter.Default);
  const type = template.Resources[logicalId]?.Type;
  if (type === 'AWS::SecretsManager::Secret') return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:fargate-jobs-bench-${logicalId}-AbCdEf`;
  return `fargate-jobs-bench-${logicalId}`.toLowerCase();
}
