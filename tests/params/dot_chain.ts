// The chain both runtime checks of the optimizer run: a fresh input read by a table (PBS output,
// ν² = 1), a Dot of such outputs with squared norm ν², read again by a table. This builds the
// optimizer's constraints for it, the chosen set (checked secure), and a client and server key.
import { type CryptoParameters, chooseParameters } from "../../passes/params/optimizer.js";
import { ClientKey, type EvaluationKeys, TfheParameters } from "../../runtime/index.js";

export interface DotChainKeys {
  readonly chosen: CryptoParameters;
  readonly client: ClientKey;
  readonly server: EvaluationKeys;
}

export async function dotChainKeys(precision: number, dotNorm2: number, options: { readonly pError?: number; readonly decryptsOutput?: boolean } = {}): Promise<DotChainKeys> {
  const chosen = chooseParameters({
    constraints: [
      { kind: "table", precision, norm2: 1, pbsNorm2: 0, freshNorm2: 1 },
      { kind: "table", precision, norm2: dotNorm2, pbsNorm2: dotNorm2, freshNorm2: 0 },
      ...(options.decryptsOutput ? [{ kind: "output" as const, precision, norm2: 1 }] : []),
    ],
    ...(options.pError === undefined ? {} : { pError: options.pError }),
  });
  const params = new TfheParameters(chosen);
  params.assertSecure();
  const client = ClientKey.generate(params);
  return { chosen, client, server: await client.generateEvaluationKeys() };
}
