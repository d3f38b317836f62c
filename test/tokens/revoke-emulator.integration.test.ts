import { redisKind } from '../support/token-store-kinds';
import { describeRevokeAgainstEmulator } from './revoke-emulator.suite';

describeRevokeAgainstEmulator(redisKind());
