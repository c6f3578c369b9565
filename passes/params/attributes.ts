// The IR attributes the crypto-params pass writes, named in a module of their own: the pass and
// the analyses it runs (constraint report, read noise) all use them without importing each other.
/** Module attribute holding the chosen set (partition 0's when there are several). */
export const CRYPTO_ATTR = "fhec.crypto";
/** Module attributes of a partitioned circuit: every partition's set, and the conversion keys. */
export const PARTITIONS_ATTR = "fhec.partitions";
export const CONVERSIONS_ATTR = "fhec.conversions";
/** Op attribute (table ops, sign casts, rounds): the partition whose keys run its PBS. */
export const PARTITION_ATTR = "fhec.partition";
/** Op attribute of an exact round ending with a wide step: the partition whose keys run that table (its result's). */
export const LAST_STEP_PARTITION_ATTR = "fhec.last_step_partition";
/** Function attribute: the partition whose big key encrypts each encrypted argument. */
export const INPUT_PARTITIONS_ATTR = "fhec.input_partitions";
