/**
 * Shell completion: `tspod completion bash|zsh` prints a script for the shell to load
 * (`source <(tspod completion bash)`, or a file in a completion directory). On each Tab the script
 * runs `tspod __complete WORD...` with the words typed so far, the last one being the word being
 * completed, and offers what it prints, one candidate a line: the commands, `image` subcommands,
 * the options of the command typed (read from its own help, so they never drift), pod names for
 * commands that take pods, image names for those that take images. When it prints nothing the
 * shell completes file names (for `run FILE`).
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { ImageStore } from '../image/store.js';
import { resolveRoots } from '../paths.js';
import { listPodNames } from '../state/store.js';
import type { GlobalArgs } from './common.js';
import { groups, nth } from '../checked.js';

const BASH = `# tspod completion for bash: source <(tspod completion bash)
_tspod() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" IFS=$'\\n'
  COMPREPLY=($(tspod __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
  [ \${#COMPREPLY[@]} -eq 0 ] && COMPREPLY=($(compgen -f -- "$cur"))
  return 0
}
complete -o filenames -F _tspod tspod
`;

const ZSH = `#compdef tspod
# tspod completion for zsh: source <(tspod completion zsh), or save as _tspod in your $fpath
_tspod() {
  local -a candidates
  candidates=("\${(@f)$(tspod __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  if [[ -n "\${candidates[1]}" ]]; then compadd -- "\${candidates[@]}"; else _files; fi
}
if [[ "$funcstack[1]" = "_tspod" ]]; then _tspod "$@"; else compdef _tspod tspod; fi
`;

export const completionCommand: CommandModule<GlobalArgs, GlobalArgs & { shell: 'bash' | 'zsh' }> = {
  command: 'completion <shell>',
  describe: 'Print the shell completion script (bash or zsh)',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('shell', { choices: ['bash', 'zsh'] as const, demandOption: true, describe: 'the shell' })
      .example('source <($0 completion bash)', 'complete commands, options, pod and image names in this bash')
      .example('$0 completion zsh > "${fpath[1]}/_tspod"', 'install it for zsh') as unknown as Argv<
      GlobalArgs & { shell: 'bash' | 'zsh' }
    >,
  handler: (argv: ArgumentsCamelCase<GlobalArgs & { shell: 'bash' | 'zsh' }>) => {
    process.stdout.write(argv.shell === 'bash' ? BASH : ZSH);
  },
};

const POD_COMMANDS = new Set(['inspect', 'ns', 'logs', 'events', 'exec', 'stop', 'rm']);
const IMAGE_SUBCOMMANDS = ['ls', 'import', 'inspect', 'rm', 'pull', 'tag', 'save', 'prune'];
const IMAGE_NAMED = new Set(['inspect', 'rm', 'tag', 'save']);
const WITH_VALUE = new Set(['--root', '--run-root', '--log-level']);

export interface CompletionSources {
  commands: string[];
  /** the options (`--all`, `-a`) of the command named by these words */
  options(words: string[]): Promise<string[]>;
  pods(globals: { root?: string; runRoot?: string }): Promise<string[]>;
  images(globals: { root?: string; runRoot?: string }): Promise<string[]>;
}

/** The candidates for the last of `words` (the word being completed), given what came before. */
export async function complete(words: string[], src: CompletionSources): Promise<string[]> {
  const cur = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  const globals: { root?: string; runRoot?: string } = {};
  const positional: string[] = [];
  for (let i = 0; i < before.length; i++) {
    const w = nth(before, i);
    if (WITH_VALUE.has(w)) {
      if (w === '--root') globals.root = before[i + 1];
      if (w === '--run-root') globals.runRoot = before[i + 1];
      i++;
    } else if (w === '--') {
      positional.push(...before.slice(i + 1));
      i = before.length;
    } else if (!w.startsWith('-')) positional.push(w);
  }
  const prev = before.at(-1);
  if (prev === '--log-level') return ['error', 'warn', 'info', 'debug'].filter((x) => x.startsWith(cur));
  if (prev !== undefined && WITH_VALUE.has(prev)) return [];
  const [command, sub] = positional;
  const pick = (all: string[]) => all.filter((x) => x.startsWith(cur));
  if (command === undefined)
    return pick(cur.startsWith('-') ? ['--help', '--version', '--root', '--run-root', '--log-level'] : src.commands);
  if (cur.startsWith('-')) return pick(await src.options(command === 'image' && sub ? [command, sub] : [command]));
  if (command === 'completion') return positional.length === 1 ? pick(['bash', 'zsh']) : [];
  if (command === 'image') {
    if (sub === undefined) return pick(IMAGE_SUBCOMMANDS);
    return IMAGE_NAMED.has(sub) && positional.length === 2 ? pick(await src.images(globals)) : [];
  }
  // exec takes one pod, then the command (the shell completes its files).
  if (command === 'exec' && positional.length > 1) return [];
  if (POD_COMMANDS.has(command)) return pick((await src.pods(globals)).filter((p) => !positional.slice(1).includes(p)));
  return [];
}

/** The real sources: the pods of the run root, the images of the store, options from each command's help. */
export function realSources(commands: string[], helpOf: (words: string[]) => Promise<string>): CompletionSources {
  const roots = (g: { root?: string; runRoot?: string }) => resolveRoots(g);
  return {
    commands,
    options: async (words) =>
      [
        ...new Set([...(await helpOf(words)).matchAll(/(?<![\w-])(--?[a-z][\w-]*)/g)].map((m) => groups(m, 1)[0])),
      ].filter((o) => o !== '--version'),
    pods: (g) => listPodNames(roots(g)).catch(() => []),
    images: async (g) => {
      try {
        return (await new ImageStore(roots(g)).list()).map((i) => (i.tag ? `${i.name}:${i.tag}` : i.ref));
      } catch {
        return [];
      }
    },
  };
}
