import { memoryKind } from '../support/token-store-kinds';
import { describeRevokeAgainstEmulator } from './revoke-emulator.suite';

describeRevokeAgainstEmulator(memoryKind());
