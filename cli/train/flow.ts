// `latent train flow`: placeholder until the flows issue fills it in.
import { UserError } from '../errors.js';

export function trainFlowCli(_opts: Record<string, unknown>, _fromCli: (name: string) => boolean): Record<string, unknown> {
  throw new UserError('train flow: this model family is not in the command line yet (see the flows issue); available: vae, iwae, cvae, m2, gmm, ppca');
}
