/** Start-up: pick the transport, hand the client to the stores, follow the hash, mount. */
import { createPinia } from 'pinia';
import { createApp } from 'vue';
import { connectApi } from './api/connect.ts';
import { setApiClient } from './api/client-holder.ts';
import App from './App.vue';
import { useNavigationStore } from './stores/navigation.ts';
import { useRunsStore } from './stores/runs.ts';
import { useSystemStore } from './stores/system.ts';
import './styles/tokens.css';
import './styles/base.css';

const client = connectApi(window);
setApiClient(client);

const app = createApp(App);
app.use(createPinia());

const nav = useNavigationStore();
nav.bindLocation((hash) => {
  if (window.location.hash !== hash) window.location.hash = hash;
});
nav.fromHash(window.location.hash);
window.addEventListener('hashchange', () => nav.fromHash(window.location.hash));

const system = useSystemStore();
system.attach();
void system.load();
useRunsStore().attach();

app.mount('#app');
