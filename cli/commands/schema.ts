// ctpilot schema: the policy JSON Schema, for editors and other tools.

import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type JsonSchemaDraft, policyJsonSchema } from '../../policies/json-schema.ts';
import { type CommandSpec, jsonFlag } from '../lib/command.ts';
import { EXIT, fileError } from '../lib/errors.ts';
import { printJson } from '../lib/io.ts';

export const schema: CommandSpec = {
  name: 'schema',
  summary: 'print the JSON Schema of policies, for editor completion and checks',
  description:
    'Prints the JSON Schema of RetrainingPolicy documents, with a description on every field. Point your editor at it ' +
    'with a first line `# yaml-language-server: $schema=<path or URL>` (VS Code with the YAML extension, JetBrains, ' +
    'Neovim). The schema checks structure and types; conditions, PromQL and cross-references are checked by ' +
    '`ctpilot validate`.',
  args: [],
  flags: [
    jsonFlag,
    {
      name: 'output',
      short: 'o',
      valueName: 'file',
      description: 'write the schema to a file instead of stdout',
    },
    {
      name: 'draft',
      valueName: 'version',
      choices: ['7', '2020-12'],
      default: '7',
      description: 'JSON Schema draft (draft 7 is what most editors support)',
    },
  ],
  examples: [
    { command: 'ctpilot schema > policy.schema.json', description: 'save it next to your policies' },
    { command: 'ctpilot schema -o policies/policy.schema.json', description: 'the same, with a file flag' },
    {
      command: "echo '# yaml-language-server: $schema=./policy.schema.json' | cat - my-policy.yaml",
      description: 'how a policy file opts in',
    },
  ],
  async run({ flags, io }) {
    const draft: JsonSchemaDraft = flags.draft === '2020-12' ? 'draft-2020-12' : 'draft-7';
    const value = policyJsonSchema(draft);
    const output = typeof flags.output === 'string' ? flags.output : undefined;
    if (output === undefined) {
      printJson(io, value);
      return EXIT.ok;
    }
    const path = resolve(io.cwd, output);
    try {
      await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
    } catch (e) {
      throw fileError(output, e, 'write');
    }
    if (flags.json === true) printJson(io, { written: output, draft });
    else io.stderr.write(`wrote ${output}\n`);
    return EXIT.ok;
  },
};
