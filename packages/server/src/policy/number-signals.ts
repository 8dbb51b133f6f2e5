/**
 * @module number-signals
 * The `line_type` and `country` signals of a number, from libphonenumber-js's full ("max")
 * metadata, already used by lib/phone.ts. Line types are lower-case libphonenumber names
 * (`mobile`, `fixed_line`, `fixed_line_or_mobile`, `voip`, `premium_rate`, `shared_cost`,
 * `toll_free`, `personal_number`, `pager`, `uan`, `voicemail`), `unknown` when the metadata has
 * no answer (e.g. an unassigned range such as the sandbox's 200 area code).
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

export interface NumberSignals {
  line_type: string;
  country: string;
}

/** Line type and country of an E.164 number. */
export function numberSignals(e164: string): NumberSignals {
  const parsed = parsePhoneNumberFromString(e164);
  return {
    line_type: parsed?.getType()?.toLowerCase() ?? 'unknown',
    country: parsed?.country ?? 'unknown',
  };
}
