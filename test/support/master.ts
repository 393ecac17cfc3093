/** The DTKS master as stored: every record of the test master table, read page by page. */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { MasterRecord } from '#core/stipulation.ts';
import type { TestAws } from './aws.ts';

/** Every record of the master table, sorted by NIK (so two scans compare equal when nothing changed). */
export async function scanMaster(aws: TestAws): Promise<MasterRecord[]> {
  const items: MasterRecord[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await aws.clients.documents.send(
      new ScanCommand({ TableName: aws.names.tables.master, ExclusiveStartKey: start }),
    );
    items.push(...((page.Items ?? []) as MasterRecord[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return items.sort((a, b) => a.nik.localeCompare(b.nik));
}
