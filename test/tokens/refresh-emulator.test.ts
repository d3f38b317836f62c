import { memoryKind } from '../support/token-store-kinds';
import { describeRefreshAgainstEmulator } from './refresh-emulator.suite';

describeRefreshAgainstEmulator(memoryKind());
