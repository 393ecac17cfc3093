/** Sign-in: locally a list of the local users to pick from; on AWS a button to Cognito's managed login. */
import { signInLocally, startCognitoSignIn } from '../auth.ts';
import type { ConsoleConfig, Role } from '../config.ts';
import type { Words } from '../i18n.ts';

const ROLE_ORDER: Role[] = ['region_operator', 'regency_approver', 'province_approver', 'ministry_operator', 'analyst'];

export function SignIn({ config, words, onSignedIn }: { config: ConsoleConfig; words: Words; onSignedIn: () => void }) {
  if (config.mode === 'cognito') {
    return (
      <section class="page sign-in">
        <h1>{words.title}</h1>
        <button type="button" class="primary" onClick={() => void startCognitoSignIn(config)}>
          {words.signInCognito}
        </button>
      </section>
    );
  }
  const users = [...config.users].sort(
    (a, b) => ROLE_ORDER.indexOf(a.role) - ROLE_ORDER.indexOf(b.role) || a.username.localeCompare(b.username),
  );
  return (
    <section class="page sign-in">
      <h1>{words.signInAs}</h1>
      <p class="muted">{words.signInLocalHelp}</p>
      <ul class="user-list">
        {users.map((user) => (
          <li key={user.username}>
            <button
              type="button"
              class="user"
              onClick={() => {
                signInLocally(user.username);
                onSignedIn();
              }}
            >
              <strong>{user.username}</strong>
              <span>
                {words.roles[user.role]}
                {user.area ? ` · ${user.area}` : ''}
              </span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
