/**
 * DynamoDB calls as anyone on the machine could make them to an embedded store's port: plain fetch,
 * no SDK, only the headers the caller chooses. And the item a forger would write to make a token
 * of their own valid for every profile.
 */
import { createHash, randomBytes } from 'node:crypto';
import { STORE_SECRET_HEADER } from '#lib/adapters/local/embedded-dynamodb.ts';

export interface RawAnswer {
  status: number;
  headers: Headers;
  /** The parsed body, or undefined when it is not JSON. */
  json: Record<string, unknown> | undefined;
  text: string;
}

/**
 * dynalite wants a SigV4-shaped Authorization header but checks no signature: any made-up one does,
 * so the credentials are no defence.
 */
const MADE_UP_SIGNATURE = {
  authorization: 'AWS4-HMAC-SHA256 Credential=anyone/20300101/local/dynamodb/aws4_request, SignedHeaders=host, Signature=00',
  'x-amz-date': '20300101T000000Z',
};

export async function rawDynamoDbCall(endpoint: string, operation: string, body: object, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${operation}`, ...MADE_UP_SIGNATURE, ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json, text };
}

/** The header that makes a raw call legitimate. */
export function withSecret(secret: string): Record<string, string> {
  return { [STORE_SECRET_HEADER]: secret };
}

/** A token in the product's format and the PutItem body that would make it valid for every profile. */
export function forgedToken(tableName: string, name = 'forged'): { token: string; putItem: object } {
  const token = `fjt_${randomBytes(32).toString('base64url')}`;
  const hash = createHash('sha256').update(token).digest('hex');
  const createdAt = new Date().toISOString();
  const putItem = {
    TableName: tableName,
    Item: {
      pk: { S: `TOKEN#${hash}` },
      sk: { S: 'TOKEN' },
      gsi1pk: { S: 'TOKENS' },
      gsi1sk: { S: `${createdAt}#${hash}` },
      hash: { S: hash },
      name: { S: name },
      profiles: { L: [{ S: '*' }] },
      createdAt: { S: createdAt },
    },
  };
  return { token, putItem };
}

/** Whether the answer is a DynamoDB-style AccessDeniedException and nothing else (no CORS grant either). */
export function isAccessDenied(answer: RawAnswer): boolean {
  return (
    answer.status === 403 &&
    answer.headers.get('content-type') === 'application/x-amz-json-1.0' &&
    answer.json?.__type === 'com.amazonaws.dynamodb.v20120810#AccessDeniedException' &&
    typeof answer.json.message === 'string' &&
    answer.headers.get('access-control-allow-origin') === null
  );
}
