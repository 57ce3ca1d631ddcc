// ctpilot completion bash|zsh: the shell completion script, generated from
// the verbs' specs (cli/lib/completion.ts).

import { type CommandSpec, jsonFlag } from '../lib/command.ts';
import { bashCompletion, zshCompletion } from '../lib/completion.ts';
import { EXIT, UserError } from '../lib/errors.ts';
import { printJson } from '../lib/io.ts';

const SHELLS = { bash: bashCompletion, zsh: zshCompletion } as const;

export const completion: CommandSpec = {
  name: 'completion',
  summary: 'print the shell completion script for bash or zsh',
  description:
    'Prints a completion script: verbs (with their summaries in zsh), flags with their values and choices, actions ' +
    '(audit log|verify|export, demo up|drift|…) and files where a verb takes policy files. Completion never ' +
    'contacts a service, so Tab answers at once. Install it once: bash — `ctpilot completion bash > ' +
    // biome-ignore lint/suspicious/noTemplateCurlyInString: zsh's own ${fpath[1]}, printed as the user types it
    '~/.local/share/bash-completion/completions/ctpilot`; zsh — `ctpilot completion zsh > "${fpath[1]}/_ctpilot"` ' +
    'then `compinit`; or source it from your shell’s rc file.',
  args: [{ name: 'shell', description: `the shell: ${Object.keys(SHELLS).join(' or ')}` }],
  flags: [jsonFlag],
  examples: [
    {
      command: 'ctpilot completion bash > ~/.local/share/bash-completion/completions/ctpilot',
      description: 'install for bash',
    },
    { command: 'source <(ctpilot completion zsh)', description: 'in ~/.zshrc, after compinit' },
  ],
  async run({ args, flags, io }) {
    const shell = args[0] as keyof typeof SHELLS;
    if (!(shell in SHELLS))
      throw new UserError(
        `no completion for ${JSON.stringify(args[0])}`,
        `use one of: ${Object.keys(SHELLS).join(', ')}`,
      );
    // The verb list includes this verb: imported when run, not when loaded.
    const { loadCommands } = await import('./index.ts');
    const script = SHELLS[shell](await loadCommands());
    if (flags.json === true) printJson(io, { shell, script });
    else io.stdout.write(script);
    return EXIT.ok;
  },
};
