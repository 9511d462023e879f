import { appOperations } from './app-operations.ts';
import { keyOperations } from './key-operations.ts';
import { apiKeysVerify } from './verify-operation.ts';

/** API apps (the customer's own APIs and their scopes), their keys, and the verify endpoint. */
export const apiAppOperations = [...appOperations, ...keyOperations, apiKeysVerify];
