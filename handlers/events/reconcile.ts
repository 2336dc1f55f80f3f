import * as awsPorts from '#lib/composition/aws.ts';
import { reconcileHandler } from '#lib/workflow/reconcile.ts';

export const handler = reconcileHandler(awsPorts.reconcile());
