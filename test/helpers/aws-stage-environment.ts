/**
 * The environment the packaged template gives a stage's functions (serverless.yml), with made-up
 * values: what a test sets before it imports a handler wired to AWS (lib/composition/aws.ts).
 */
export const REGION = 'eu-west-1';
export const CLUSTER = 'fargate-jobs-test';

export const STAGE_ENVIRONMENT = {
  AWS_REGION: REGION,
  AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'example',
  JOBS_TABLE: 'fargate-jobs-test-jobs',
  STATE_MACHINE_ARN: `arn:aws:states:${REGION}:123456789012:stateMachine:fargate-jobs-test-run-job`,
  ECS_CLUSTER: CLUSTER,
  TASK_SUBNETS: 'subnet-0a1b2c3d,subnet-4e5f6a7b',
  TASK_SECURITY_GROUPS: 'sg-0123456789abcdef0',
  TASK_LOG_GROUP: '/fargate-jobs/test/tasks',
  TASK_DEFINITION_PREFIX: 'fargate-jobs-test',
  REQUEST_HASH_KEY_SECRET: `arn:aws:secretsmanager:${REGION}:123456789012:secret:fargate-jobs-test-request-hash-key-AbCdEf`,
  MAX_ACTIVE_JOBS_PER_TOKEN: '50',
  MAX_WAITS_PER_TOKEN: '10',
  // The notifying functions' settings (startTask, pollTask, finalizeJob, notifyFinished, taskStateChange, reconcile in serverless.yml).
  FARGATE_JOBS_WEBHOOK_SECRET_ID: `arn:aws:secretsmanager:${REGION}:123456789012:secret:fargate-jobs-test-webhook-secret-AbCdEf`,
  SLACK_BOT_TOKEN_ID: `arn:aws:secretsmanager:${REGION}:123456789012:secret:fargate-jobs-test-slack-bot-token-AbCdEf`,
  SLACK_API_URL: 'https://slack.com/api',
  FARGATE_JOBS_WEBHOOK_ALLOW_HOSTS: '',
  API_URL: `https://a1b2c3d4e5.execute-api.${REGION}.amazonaws.com`,
  // The schedules function's: the stage's schedule group, the fire function and the role Scheduler invokes it with.
  SCHEDULE_GROUP: 'fargate-jobs-test',
  SCHEDULE_TARGET_ARN: `arn:aws:lambda:${REGION}:123456789012:function:fargate-jobs-test-fireSchedule`,
  SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/fargate-jobs-test-SchedulerRole-1A2B3C4D5E6F',
  LOG_LEVEL: 'ERROR',
};
