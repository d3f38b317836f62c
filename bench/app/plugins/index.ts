import type { CompetitorId } from '../../types';
import type { StrategyPlugin } from '../plugin';
import { floor, floorContract, floorContractFull } from './floor';
import { floorContractComplete } from './floor-complete';
import { passportOAuth2, passportOAuth2Contract, passportOAuth2Expiring } from './passport-oauth2';
import { passportTikTok } from './passport-tiktok';
import { passportTikTokAuth, passportTikTokAuthFields } from './passport-tiktok-auth';

export const PLUGINS: Readonly<Record<CompetitorId, StrategyPlugin>> = {
  'passport-tiktok': passportTikTok,
  'passport-tiktok-auth': passportTikTokAuth,
  'passport-tiktok-auth-fields': passportTikTokAuthFields,
  'passport-oauth2': passportOAuth2,
  'passport-oauth2-expiring': passportOAuth2Expiring,
  'passport-oauth2-contract': passportOAuth2Contract,
  floor,
  'floor-contract': floorContract,
  'floor-contract-full': floorContractFull,
  'floor-contract-complete': floorContractComplete,
};
