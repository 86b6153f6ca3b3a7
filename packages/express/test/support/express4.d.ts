/** Express 4 is installed as the alias `express4`; its API (as used here) is typed like Express 5's. */
declare module 'express4' {
  import express = require('express');
  export = express;
}
