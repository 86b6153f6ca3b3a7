import { runDemo } from './demo';

runDemo().then(
  (lines) => console.log(lines.join('\n')),
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
