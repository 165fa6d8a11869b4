import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP_GLOBAL } from '../../../shared/desktop.ts';
import { desktopBridgeOf } from '../../../src-renderer/stores/desktop-dialogs.ts';

test('the desktop dialogs are used only when the preload put a well-formed bridge on the page', async () => {
  assert.equal(desktopBridgeOf({}), null, 'a browser (serve mode) has none');
  assert.equal(desktopBridgeOf({ [DESKTOP_GLOBAL]: { chooseFolder: 'x' } }), null);
  assert.equal(desktopBridgeOf({ [DESKTOP_GLOBAL]: { chooseFolder: async () => '/data/cifar', chooseCheckpoint: async () => null } }), null, 'an older preload without pathOfDroppedFile');
  const bridge = desktopBridgeOf({
    [DESKTOP_GLOBAL]: { chooseFolder: async () => '/data/cifar', chooseCheckpoint: async () => null, pathOfDroppedFile: () => '/m/resnet50.pth.tar' },
  });
  assert.ok(bridge);
  assert.equal(bridge.pathOfDroppedFile({}), '/m/resnet50.pth.tar');
  assert.equal(await bridge.chooseFolder(), '/data/cifar');
  assert.equal(await bridge.chooseCheckpoint(), null);
});
