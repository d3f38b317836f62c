import { MemoryTokenStore } from '../../lib/tokens/memory-store';
import { behavesLikeATokenStore } from '../support/token-store-conformance';

describe('MemoryTokenStore', () => {
  behavesLikeATokenStore(() => new MemoryTokenStore());
});
