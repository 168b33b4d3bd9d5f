// The system accounts: `nexus` runs every service, `nexus-admin` holds the
// administrators (the SSH drop-in lets only them in), and `postgres` joins
// the nexus group so archive_command may write the WAL archive. They are
// made with the distribution's own tools on the live system; existence is
// read from the root's account files.

import { NexusError } from '../core/errors.ts';
import { must, type Host } from './host.ts';
import type { Step } from './steps.ts';

function system(title: string, pending: () => string | undefined, cmd: string[]): Step {
  return {
    kind: 'system',
    title,
    pending: async () => pending(),
    apply: async () => void (await must(cmd[0]!, cmd.slice(1), { pkg: 'passwd' })),
  };
}

export function accountSteps(host: Host, home: string, admin: string | undefined): Step[] {
  const steps = [
    system('group nexus-admin (administrators)', () => (host.gid('nexus-admin') === undefined ? 'groupadd' : undefined), ['groupadd', '--system', 'nexus-admin']),
    system(
      `user nexus (system, home ${home}, no login shell)`,
      () => (host.uid('nexus') === undefined ? 'useradd' : undefined),
      ['useradd', '--system', '--user-group', '--home-dir', home, '--no-create-home', '--shell', '/usr/sbin/nologin', 'nexus'],
    ),
    system(
      'postgres in group nexus (archive_command writes the WAL archive)',
      () => {
        if (host.uid('postgres') === undefined) throw new NexusError('postgres_missing', 'There is no postgres account: apt-get install postgresql');
        return host.members('nexus').includes('postgres') ? undefined : 'usermod -aG nexus postgres';
      },
      ['usermod', '-aG', 'nexus', 'postgres'],
    ),
  ];
  if (admin) {
    steps.push(
      system(`${admin} in group nexus-admin`, () => {
        if (host.uid(admin) === undefined) throw new NexusError('install_admin_unknown', `--admin ${admin}: no such user`);
        return host.members('nexus-admin').includes(admin) ? undefined : `usermod -aG nexus-admin ${admin}`;
      }, ['usermod', '-aG', 'nexus-admin', admin]),
    );
  }
  return steps;
}
