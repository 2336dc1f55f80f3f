/** The console's entry point: the app itself is built in the modules beside this one. */
const app = document.getElementById('app');
if (app) app.textContent = 'fargate-jobs console';
